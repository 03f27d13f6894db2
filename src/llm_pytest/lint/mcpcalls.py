"""Calls that concern a test's MCP servers by name (E408, E409).

- E408: a protocol tool (``mcp_list_tools``, ``mcp_read_resource``, ...) whose ``server:`` names
  no server the test declares under ``mcp_servers``; a ``server`` that holds ``${...}`` is only
  known when the spec runs and is not checked;
- E409: a tool name that two MCP tools would share (with ``--mcp``, once the servers' tools are
  listed): it names neither, so the step must use a dotted name;
- W118: a scripted elicitation answer that is not ``accept`` but has ``content``, which is never
  sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from llm_pytest.dsl.loader import Document
from llm_pytest.dsl.spec import Spec
from llm_pytest.errors import ToolError, closest
from llm_pytest.lint.findings import Finding
from llm_pytest.lint.nodes import StepNodes
from llm_pytest.model.plan import Plan, ToolCallPlan
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["check_mcp_calls", "elicitation_warnings"]


def elicitation_warnings(doc: Document, spec: Spec) -> list[Finding]:
    """W118 for the elicitation answers of ``spec``'s servers that carry content in vain."""
    out: list[Finding] = []
    for name, server in spec.mcp_servers.items():
        answers = server.elicitation
        if answers is None:
            continue
        listed = answers if isinstance(answers, list) else [answers]
        for i, answer in enumerate(listed):
            if isinstance(answer, str) or answer.action == "accept" or answer.content is None:
                continue
            path: list[str | int] = ["mcp_servers", name, "elicitation"]
            if isinstance(answers, list):
                path.append(i)
            out.append(
                Finding(
                    "W118",
                    doc.locate([*path, "content"], key=True),
                    f"the `{answer.action}` answer of `{name}`'s elicitation has `content`, "
                    "which is never sent: only `accept` sends content",
                    "remove `content`, or make the answer `action: accept`",
                )
            )
    return out


def check_mcp_calls(
    plan: Plan, calls: Iterable[ToolCallPlan], registry: ToolRegistry, nodes: StepNodes
) -> list[Finding]:
    """E408 and E409 for ``calls`` of ``plan``."""
    declared = [server.name for server in plan.mcp_servers]
    out: list[Finding] = []
    for step in calls:
        try:
            tool = registry.get(step.tool)
        except ToolError:
            continue  # E401's business
        ambiguity = getattr(tool, "ambiguity", None)
        if isinstance(ambiguity, ToolError):
            where = nodes.locate(step.location, ["tool"])
            out.append(Finding("E409", where, ambiguity.message, ambiguity.hint))
            continue
        if tool.source != "builtin" or not tool.name.startswith("mcp_"):
            continue
        server = step.args.get("server") if isinstance(step.args, dict) else None
        if not isinstance(server, str) or server in declared:
            continue
        where = nodes.locate(step.location, ["args", "server"])
        if declared:
            names = ", ".join(f"`{n}`" for n in declared)
            guess = closest(server, declared)
            hint = f"did you mean `{guess}`?" if guess else f"use one of {names}"
            message = f"`{step.tool}` names MCP server `{server}`, which this test does not "
            message += f"declare (declared: {names})"
        else:
            message = f"`{step.tool}` names MCP server `{server}`, but this test declares none"
            hint = "declare the server under `mcp_servers:`"
        out.append(Finding("E408", where, message, hint))
    return out
