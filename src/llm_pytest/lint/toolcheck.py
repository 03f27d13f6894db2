"""Tool names and arguments checked against the tool registry (E401–E404).

Arguments that hold ``${...}`` are only known when the spec runs, so their values are not
type-checked: a string that is exactly one ``${...}`` may become any type; a string with text
around its ``${...}`` parts is always a string, so only its type is checked. A plain string
holding ``${`` (a template that did not parse, in a partial plan) is not checked at all. Missing
and unknown arguments are found either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import jsonschema

from llm_pytest.errors import ToolError, closest
from llm_pytest.expr.parse import Template
from llm_pytest.lint.findings import Finding
from llm_pytest.lint.nodes import StepNodes
from llm_pytest.model.plan import ToolCallPlan
from llm_pytest.tools.arguments import format_schema_error
from llm_pytest.tools.registry import Tool, ToolRegistry

__all__ = ["check_tool_calls"]

Path_ = tuple[str | int, ...]
_TOOLS_HINT = "`llm-pytest tools` lists every tool with its arguments"


def check_tool_calls(
    calls: Iterable[ToolCallPlan],
    registry: ToolRegistry,
    nodes: StepNodes,
    *,
    unchecked: Iterable[str] = (),
    flag_unknown: bool = True,
) -> list[Finding]:
    """Findings for the tool names and arguments of ``calls``.

    Tools under the names of ``unchecked`` MCP servers (``<server>_``/``<server>.``) are not
    flagged as unknown; with ``flag_unknown=False`` no unknown tool is.
    """
    prefixes = tuple(p for s in unchecked for p in (f"{s}_", f"{s}."))
    out: list[Finding] = []
    for step in calls:
        try:
            tool = registry.get(step.tool)
        except ToolError as exc:
            if flag_unknown and not step.tool.startswith(prefixes):
                where = nodes.locate(step.location, ["tool"])
                out.append(Finding("E401", where, exc.message, exc.hint))
            continue
        out.extend(_arguments(step, tool, nodes))
    return out


def _arguments(step: ToolCallPlan, tool: Tool, nodes: StepNodes) -> list[Finding]:
    templates: dict[Path_, str | None] = {}
    instance = _literal(step.args, (), templates)
    errors = tool.arguments.errors(instance)
    if not errors:
        return []
    out: list[Finding] = []
    required_done: set[Path_] = set()
    for err in errors:
        path: Path_ = tuple(err.absolute_path)
        if _unknowable(path, err, templates):
            continue
        if err.validator == "required":
            if path not in required_done:  # one error per missing name; report them once
                required_done.add(path)
                out.extend(_missing(step, err, path, nodes))
        elif err.validator == "additionalProperties" and err.validator_value is False:
            out.extend(_unknown(step, err, path, nodes))
        else:
            if path in templates:  # a string with text around `${...}`: show it as written
                err.instance = templates[path]
            where = nodes.locate(step.location, ["args", *path])
            message = f"invalid argument for `{step.tool}`: {format_schema_error(err)}"
            out.append(Finding("E404", where, message, _describe(err.schema) or _TOOLS_HINT))
    return out


def _literal(value: Any, path: Path_, templates: dict[Path_, str | None]) -> Any:
    """``value`` with each template replaced by an empty string, and where templates were: the
    source of a template with text around its ``${...}`` (always a string), else None.
    """
    if isinstance(value, Template):
        templates[path] = None if value.whole is not None else value.source
        return ""
    if isinstance(value, str) and "${" in value:  # a template that does not parse (reported)
        templates[path] = None
        return ""
    if isinstance(value, dict):
        return {k: _literal(v, (*path, k), templates) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v, (*path, i), templates) for i, v in enumerate(value)]
    return value


def _unknowable(
    path: Path_, err: jsonschema.ValidationError, templates: dict[Path_, str | None]
) -> bool:
    """Whether ``err`` depends on a value only known when the spec runs."""
    if not templates:
        return False
    for n in range(len(path)):
        if path[:n] in templates:
            return True
    if path not in templates:
        return False
    # a lone `${...}` may be of any type; text around `${...}` is surely a string
    return templates[path] is None or err.validator != "type"


def _missing(
    step: ToolCallPlan, err: jsonschema.ValidationError, path: Path_, nodes: StepNodes
) -> list[Finding]:
    node = nodes.node(step.location)
    keys: list[str | int] = ["args", *path] if node is None or "args" in node else ["tool"]
    where = nodes.locate(step.location, keys, key=not path)
    owner = f"`{step.tool}`" if not path else f"`args{_dotted(path)}` of `{step.tool}`"
    properties = _mapping(_mapping(err.schema).get("properties"))
    instance = _mapping(err.instance)
    out: list[Finding] = []
    for name in err.validator_value if isinstance(err.validator_value, list) else ():
        if name in instance:
            continue
        described = _describe(properties.get(name))
        hint = f"add `{name}: ...` under `args{_dotted(path)}`" + (
            f" ({described})" if described else ""
        )
        out.append(Finding("E402", where, f"{owner} needs the argument `{name}`", hint))
    return out


def _unknown(
    step: ToolCallPlan, err: jsonschema.ValidationError, path: Path_, nodes: StepNodes
) -> list[Finding]:
    schema = _mapping(err.schema)
    known = list(_mapping(schema.get("properties")))
    patterns = list(_mapping(schema.get("patternProperties")))
    out: list[Finding] = []
    for key in _mapping(err.instance):
        if key in known or any(re.search(p, str(key)) for p in patterns):
            continue
        guess = closest(str(key), known)
        takes = ", ".join(known) or "no arguments"
        out.append(
            Finding(
                "E403",
                nodes.locate(step.location, ["args", *path, key], key=True),
                f"`{step.tool}` takes no argument `{key}`"
                + (f" under `args{_dotted(path)}`" if path else "")
                + f" (it takes: {takes})",
                f"did you mean `{guess}`?" if guess else f"remove it; {_TOOLS_HINT}",
            )
        )
    return out


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _describe(schema: Any) -> str | None:
    if isinstance(schema, Mapping):
        text = schema.get("description")
        if isinstance(text, str) and text.strip():
            return text.strip().splitlines()[0]
    return None


def _dotted(path: Path_) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
