"""The MCP server exposing a ToolRegistry, driven in-process by the SDK's client."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import TextContent

from llm_pytest.errors import ToolError
from llm_pytest.tools.mcp.server import build_server
from llm_pytest.tools.registry import Tool, ToolContext, ToolRegistry

pytestmark = pytest.mark.anyio

OBJECT = {"type": "object"}
NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "description": "the key"}, "value": {}},
    "required": ["name"],
    "additionalProperties": False,
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["legacy", "auto"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: the 2025 handshake and the 2026 per-request envelope."""
    return str(request.param)


async def store(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    ctx.stored[args["name"]] = args.get("value")
    return {"stored": args["name"], "value": args.get("value")}


async def fetch(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    found = args["name"] in ctx.stored
    return {"name": args["name"], "value": ctx.stored.get(args["name"]), "found": found}


def registry(*extra: Tool) -> ToolRegistry:
    return ToolRegistry(
        [
            Tool("store_value", "Store a value.", NAME_SCHEMA, store),
            Tool("get_value", "Read a stored value.", NAME_SCHEMA, fetch),
            *extra,
        ]
    )


def text_of(result: Any) -> str:
    [block] = result.content
    assert isinstance(block, TextContent)
    return block.text


async def test_every_tool_is_listed_with_its_own_schema(mode: str) -> None:
    output = {"type": "object", "properties": {"stored": {"type": "string"}}}
    extra = Tool("typed", "Typed output.", OBJECT, store, output_schema=output)
    async with Client(build_server(registry(extra)), mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert list(tools) == ["store_value", "get_value", "typed"]
    assert tools["store_value"].input_schema == NAME_SCHEMA
    assert tools["store_value"].description == "Store a value."
    assert tools["typed"].output_schema == output


async def test_stored_values_last_for_the_connection_and_not_beyond(mode: str) -> None:
    server = build_server(registry())
    async with Client(server, mode=mode) as client:
        await client.call_tool("store_value", {"name": "user", "value": {"id": 7}})
        seen = await client.call_tool("get_value", {"name": "user"})
    async with Client(server, mode=mode) as client:
        fresh = await client.call_tool("get_value", {"name": "user"})
    assert seen.structured_content == {"name": "user", "value": {"id": 7}, "found": True}
    assert fresh.structured_content == {"name": "user", "value": None, "found": False}


async def test_a_mapping_result_is_structured_content_and_json_text(mode: str) -> None:
    async with Client(build_server(registry()), mode=mode) as client:
        result = await client.call_tool("store_value", {"name": "n", "value": [1, "two"]})
    assert result.structured_content == {"stored": "n", "value": [1, "two"]}
    assert json.loads(text_of(result)) == {"stored": "n", "value": [1, "two"]}


async def test_a_list_result_is_json_text_and_structured_where_the_protocol_allows() -> None:
    tool = Tool("numbers", "A list.", OBJECT, lambda ctx, args: [1, 2, 3])
    server = build_server(registry(tool))
    async with Client(server, mode="legacy") as client:
        legacy = await client.call_tool("numbers", {})
    async with Client(server, mode="auto") as client:
        modern = await client.call_tool("numbers", {})
    assert json.loads(text_of(legacy)) == [1, 2, 3]
    assert legacy.structured_content is None  # 2025 revisions only allow an object there
    assert modern.structured_content == [1, 2, 3]


async def test_a_text_result_is_sent_as_is() -> None:
    tool = Tool("greet", "Say hello.", OBJECT, lambda ctx, args: "hello")
    async with Client(build_server(registry(tool)), mode="legacy") as client:
        result = await client.call_tool("greet", {})
    assert text_of(result) == "hello"
    assert result.structured_content is None


async def test_a_blocking_tool_runs_in_a_worker_thread() -> None:
    def where(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        return {"main_thread": threading.current_thread() is threading.main_thread()}

    tool = Tool("where", "Which thread.", OBJECT, where)
    async with Client(build_server(registry(tool)), mode="legacy") as client:
        result = await client.call_tool("where", {})
    assert result.structured_content == {"main_thread": False}


async def test_a_tool_error_is_an_error_result_with_its_message_and_hint() -> None:
    async def refuse(ctx: ToolContext, args: dict[str, Any]) -> None:
        raise ToolError("the account is locked", hint="unlock it first")

    tool = Tool("login", "Log in.", OBJECT, refuse)
    async with Client(build_server(registry(tool)), mode="legacy") as client:
        result = await client.call_tool("login", {})
    assert result.is_error
    assert text_of(result) == "the account is locked\n  hint: unlock it first"


async def test_any_other_exception_is_an_error_result_naming_it() -> None:
    def divide(ctx: ToolContext, args: dict[str, Any]) -> float:
        return 1 / 0

    tool = Tool("divide", "Divide.", OBJECT, divide)
    async with Client(build_server(registry(tool)), mode="legacy") as client:
        result = await client.call_tool("divide", {})
    assert result.is_error
    assert text_of(result) == "ZeroDivisionError: division by zero"


async def test_arguments_that_do_not_fit_the_schema_are_an_error_result() -> None:
    async with Client(build_server(registry()), mode="legacy") as client:
        result = await client.call_tool("store_value", {"name": 3, "colour": "red"})
    assert result.is_error
    message = text_of(result)
    assert message.startswith("invalid arguments for `store_value`: ")
    assert "`args.name`: expected string, got 3" in message
    assert "'colour' was unexpected" in message


async def test_an_unknown_tool_is_an_error_result_with_a_suggestion() -> None:
    async with Client(build_server(registry()), mode="legacy") as client:
        result = await client.call_tool("get_valeu", {"name": "x"})
    assert result.is_error
    assert "unknown tool `get_valeu`" in text_of(result)
    assert "did you mean `get_value`?" in text_of(result)


async def test_the_connection_context_is_closed_when_the_client_leaves(mode: str) -> None:
    closed = anyio.Event()

    async def open_resource(ctx: ToolContext, args: dict[str, Any]) -> str:
        ctx.exit_stack.callback(closed.set)
        return "opened"

    tool = Tool("open", "Open a resource.", OBJECT, open_resource)
    async with Client(build_server(registry(tool)), mode=mode) as client:
        await client.call_tool("open", {})
        assert not closed.is_set()
    with anyio.fail_after(5):
        await closed.wait()


async def test_a_registry_factory_is_called_once_per_connection() -> None:
    made: list[ToolRegistry] = []

    def make() -> ToolRegistry:
        made.append(registry())
        return made[-1]

    server = build_server(make)
    for _ in range(2):
        async with Client(server, mode="legacy") as client:
            await client.list_tools()
            await client.call_tool("get_value", {"name": "x"})
    assert len(made) == 2


async def test_a_call_the_client_cancels_is_cancelled_in_the_tool() -> None:
    started, cancelled = anyio.Event(), anyio.Event()

    async def wait_forever(ctx: ToolContext, args: dict[str, Any]) -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    tool = Tool("wait", "Wait forever.", OBJECT, wait_forever)
    async with Client(build_server(registry(tool)), mode="legacy") as client:
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.call_tool, "wait", {})
                await started.wait()
                tg.cancel_scope.cancel()
            await cancelled.wait()
        result = await client.call_tool("get_value", {"name": "x"})
    assert not result.is_error


async def test_a_call_past_its_time_limit_is_a_timeout_error_and_the_server_stays_usable() -> None:
    async def wait_forever(ctx: ToolContext, args: dict[str, Any]) -> None:
        await anyio.sleep_forever()

    tool = Tool("wait", "Wait forever.", OBJECT, wait_forever)
    server = build_server(registry(tool), timeout=30, timeouts={"wait": 0.2})
    async with Client(server, mode="legacy") as client:
        with anyio.fail_after(10):
            result = await client.call_tool("wait", {})
        after = await client.call_tool("get_value", {"name": "x"})
    assert result.is_error
    assert text_of(result) == "timed out after 0.2s"
    assert not after.is_error


async def test_calls_made_at_once_each_see_their_own_time_limit() -> None:
    started, release = anyio.Event(), anyio.Event()

    async def slow(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        started.set()
        await release.wait()
        return {"timeout": ctx.timeout}

    async def fast(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        release.set()
        return {"timeout": ctx.timeout}

    tools = [Tool("slow", "", OBJECT, slow), Tool("fast", "", OBJECT, fast)]
    server = build_server(registry(*tools), timeouts={"slow": 20, "fast": 10})
    seen: dict[str, Any] = {}

    async def call(client: Client, name: str) -> None:
        seen[name] = (await client.call_tool(name, {})).structured_content

    async with Client(server, mode="legacy") as client:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(call, client, "slow")
                await started.wait()
                tg.start_soon(call, client, "fast")
    assert seen == {"slow": {"timeout": 20}, "fast": {"timeout": 10}}
