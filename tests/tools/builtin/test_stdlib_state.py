"""The state tools, ``sleep``, and the shape of the built-in tool list."""

from __future__ import annotations

from typing import Any

import anyio
import jsonschema
import pytest

from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.registry import ToolContext, ToolRegistry


async def call(registry: ToolRegistry, ctx: ToolContext, name: str, args: dict[str, Any]) -> Any:
    assert registry.validate(name, args) == []
    return await registry.get(name).func(ctx, args)


def test_builtin_tools_are_the_seven_of_the_language_then_the_mcp_protocols() -> None:
    names = [tool.name for tool in builtin_tools()]
    assert all(name.startswith("mcp_") for name in names[7:])
    assert names[:7] == [
        "store_value",
        "get_value",
        "list_values",
        "sleep",
        "http_request",
        "run_command",
        "read_file",
    ]


@pytest.mark.parametrize("tool", builtin_tools(), ids=lambda t: t.name)
def test_every_builtin_schema_is_strict_and_documented(tool: Any) -> None:
    schema = tool.input_schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert tool.source == "builtin"
    assert tool.description
    assert not tool.blocking


@pytest.mark.anyio
async def test_stored_value_is_read_back_and_visible_as_stored(
    registry: ToolRegistry, ctx: ToolContext
) -> None:
    stored = await call(registry, ctx, "store_value", {"name": "user", "value": {"id": 42}})
    assert stored == {"stored": "user", "value": {"id": 42}}
    assert ctx.stored == {"user": {"id": 42}}
    got = await call(registry, ctx, "get_value", {"name": "user"})
    assert got == {"name": "user", "value": {"id": 42}, "found": True}


@pytest.mark.anyio
async def test_missing_value_gives_the_default_or_null_and_found_false(
    registry: ToolRegistry, ctx: ToolContext
) -> None:
    with_default = await call(registry, ctx, "get_value", {"name": "nope", "default": 7})
    assert with_default == {"name": "nope", "value": 7, "found": False}
    without = await call(registry, ctx, "get_value", {"name": "nope"})
    assert without == {"name": "nope", "value": None, "found": False}


@pytest.mark.anyio
async def test_a_stored_null_is_found(registry: ToolRegistry, ctx: ToolContext) -> None:
    await call(registry, ctx, "store_value", {"name": "empty", "value": None})
    got = await call(registry, ctx, "get_value", {"name": "empty", "default": 1})
    assert got == {"name": "empty", "value": None, "found": True}


@pytest.mark.anyio
async def test_list_values_returns_a_copy(registry: ToolRegistry, ctx: ToolContext) -> None:
    await call(registry, ctx, "store_value", {"name": "a", "value": 1})
    listed = await call(registry, ctx, "list_values", {})
    assert listed == {"values": {"a": 1}}
    listed["values"]["b"] = 2
    assert ctx.stored == {"a": 1}


def test_store_value_without_a_value_is_a_schema_error(registry: ToolRegistry) -> None:
    errors = registry.validate("store_value", {"name": "a"})
    assert errors == ["the arguments: missing required argument 'value'"]
    assert registry.validate("list_values", {"x": 1})


@pytest.mark.anyio
async def test_sleep_reports_the_seconds_slept(registry: ToolRegistry, ctx: ToolContext) -> None:
    assert await call(registry, ctx, "sleep", {"seconds": 0}) == {"slept": 0}


@pytest.mark.anyio
async def test_sleep_is_cancelled_with_its_step(registry: ToolRegistry, ctx: ToolContext) -> None:
    with anyio.move_on_after(0.01) as scope:
        await call(registry, ctx, "sleep", {"seconds": 60})
    assert scope.cancelled_caught


def test_negative_sleep_is_a_schema_error(registry: ToolRegistry) -> None:
    assert registry.validate("sleep", {"seconds": -1}) == [
        "`args.seconds`: -1 is less than the minimum of 0"
    ]
