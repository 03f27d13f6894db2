"""``store_value``, ``get_value`` and ``list_values``: the run's ``stored`` mapping as tools."""

from __future__ import annotations

from typing import Any

from llm_pytest.tools.registry import Tool, ToolContext

__all__ = ["STATE_TOOLS"]

_NAME = {
    "type": "string",
    "minLength": 1,
    "description": "The key; later steps read the value as `${stored.NAME}`.",
}


async def store_value(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    name: str = args["name"]
    ctx.stored[name] = args["value"]
    return {"stored": name, "value": args["value"]}


async def get_value(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    name: str = args["name"]
    if name in ctx.stored:
        return {"name": name, "value": ctx.stored[name], "found": True}
    return {"name": name, "value": args.get("default"), "found": False}


async def list_values(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"values": dict(ctx.stored)}


STATE_TOOLS = (
    Tool(
        name="store_value",
        description=(
            "Store a value under a name for the rest of the run; later steps read it as "
            "`${stored.NAME}`. Returns the name and the value stored."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "name": _NAME,
                "value": {"description": "Any JSON value to store (replaces an earlier one)."},
            },
            "required": ["name", "value"],
            "additionalProperties": False,
        },
        func=store_value,
        result_fields={"stored": "The name stored under.", "value": "The value stored."},
    ),
    Tool(
        name="get_value",
        description=(
            "Read a value stored earlier in this run. Returns the name, the value (or the "
            "default when nothing is stored under the name) and whether it was found."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "name": _NAME,
                "default": {"description": "The value to return when nothing is stored (null)."},
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        func=get_value,
        result_fields={
            "name": "The name asked for.",
            "value": "The value stored under it, else the `default` (null).",
            "found": "Whether a value was stored under the name.",
        },
    ),
    Tool(
        name="list_values",
        description="Every value stored so far in this run, as a mapping from name to value.",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
        func=list_values,
        result_fields={"values": "Every stored value, name to value."},
    ),
)
