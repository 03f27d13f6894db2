"""``lint --mcp``: start the MCP servers that specs declare and list their tools.

Each distinct server (same command, arguments, environment, URL) is started once, all of them
at the same time, and stopped as soon as its tools are listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import anyio

from llm_pytest.errors import ExpressionError, SourceLocation, ToolError
from llm_pytest.lint.findings import Finding
from llm_pytest.model.plan import Plan
from llm_pytest.tools.mcp.config import McpServerConfig
from llm_pytest.tools.registry import Tool

__all__ = ["PlanTools", "list_plan_tools"]


@dataclass(frozen=True, slots=True)
class PlanTools:
    """The MCP tools one plan can call, and its servers whose tools are not known."""

    tools: tuple[Tool, ...]
    unavailable: tuple[str, ...]


async def list_plan_tools(
    plans: Sequence[Plan], env: Mapping[str, str]
) -> tuple[list[PlanTools], list[Finding]]:
    """The MCP tools of each plan (in order), and E405 for servers that cannot be used."""
    # both import the MCP SDK (about 0.8 s), which lint without --mcp does not need
    from llm_pytest.tools.mcp.client import list_server_tools
    from llm_pytest.tools.mcp.lifecycle import server_configs

    findings: list[Finding] = []
    configs: dict[str, McpServerConfig] = {}
    where: dict[str, SourceLocation] = {}
    per_plan: list[list[tuple[str, str | None]]] = []
    for plan in plans:
        entries: list[tuple[str, str | None]] = []
        try:
            resolved = server_configs(plan, env) if plan.mcp_servers else []
        except ExpressionError as exc:
            findings.append(
                Finding(
                    "E405",
                    exc.location or plan.location,
                    f"cannot configure the MCP servers of `{plan.test_name}`: {exc.message}",
                    exc.hint,
                )
            )
            resolved = []
        for server, config in zip(plan.mcp_servers, resolved, strict=False):
            key = repr(config)  # configs are plain frozen dataclasses: equal repr, same server
            configs.setdefault(key, config)
            where.setdefault(key, server.location or plan.location)
            entries.append((server.name, key))
        entries += [(s.name, None) for s in plan.mcp_servers[len(resolved) :]]
        per_plan.append(entries)

    listed: dict[str, list[Tool]] = {}

    async def list_one(key: str, config: McpServerConfig) -> None:
        try:
            tools = await list_server_tools([config])
        except ToolError as exc:
            findings.append(
                Finding(
                    "E405",
                    where[key],
                    f"MCP server `{config.name}` cannot be used: {exc.message}",
                    exc.hint
                    or "check its command or URL; without `--mcp` its tools are not checked",
                )
            )
            return
        listed[key] = tools[config.name]

    async with anyio.create_task_group() as group:
        for key, config in configs.items():
            group.start_soon(list_one, key, config)

    out: list[PlanTools] = []
    for entries in per_plan:
        tools = [tool for _, key in entries if key is not None for tool in listed.get(key, [])]
        missing = tuple(name for name, key in entries if key is None or key not in listed)
        out.append(PlanTools(tuple(tools), missing))
    return out, findings
