"""The example notes server, over stdio and streamable HTTP, through the bridge's tools."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.abc
import pytest

from llm_pytest.errors import ToolError
from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import HttpServerConfig, McpServerConfig, StdioServerConfig
from llm_pytest.tools.registry import ToolRegistry

from .support import NOTES_SERVER, context, http_server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def http_url() -> AsyncIterator[str]:
    async with http_server(NOTES_SERVER) as url:
        yield url


@pytest.fixture(scope="module")
async def registry(http_url: str) -> AsyncIterator[ToolRegistry]:
    configs: list[McpServerConfig] = [
        StdioServerConfig("notes", "python", (str(NOTES_SERVER),)),
        HttpServerConfig("remote", http_url),
    ]
    async with McpConnections(configs) as connections:
        yield ToolRegistry(connections.tools())


@pytest.fixture(params=["notes", "remote"])
def server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def call(registry: ToolRegistry, name: str, **args: object) -> object:
    return await registry.get(name).func(context(), dict(args))


async def test_a_dict_result_is_the_structured_mapping(registry: ToolRegistry, server: str) -> None:
    note = await call(registry, f"{server}_add_note", title="groceries", body="milk")
    assert isinstance(note, dict)
    assert note["title"] == "groceries"
    assert await call(registry, f"{server}_get_note", id=note["id"]) == note


async def test_a_list_result_is_unwrapped_from_its_result_field(
    registry: ToolRegistry, server: str
) -> None:
    await call(registry, f"{server}_add_note", title="a", body="b")
    notes = await call(registry, f"{server}.list_notes")
    assert isinstance(notes, list)
    assert {"title": "a", "body": "b"}.items() <= notes[-1].items()


async def test_scalar_results_are_unwrapped(registry: ToolRegistry, server: str) -> None:
    assert isinstance(await call(registry, f"{server}_count"), int)
    assert await call(registry, f"{server}_slow", seconds=0) == "waited 0.0 s"


async def test_a_tool_error_carries_the_server_message(registry: ToolRegistry, server: str) -> None:
    with pytest.raises(ToolError, match="no note with id 999999"):
        await call(registry, f"{server}_get_note", id=999999)


async def test_concurrent_calls_on_one_session_all_land(
    registry: ToolRegistry, server: str
) -> None:
    before = await call(registry, f"{server}_count")
    notes: list[object] = []

    async def add(i: int) -> None:
        notes.append(await call(registry, f"{server}_add_note", title=f"n{i}", body="x"))

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(add, i)
    assert len({note["id"] for note in notes}) == 20  # type: ignore[index]
    assert await call(registry, f"{server}_count") == before + 20  # type: ignore[operator]


async def test_a_timed_out_call_leaves_the_session_usable(
    registry: ToolRegistry, server: str
) -> None:
    with pytest.raises(TimeoutError), anyio.fail_after(0.3):
        await call(registry, f"{server}_slow", seconds=60)
    assert isinstance(await call(registry, f"{server}_count"), int)


async def test_the_tool_schema_is_the_server_input_schema(registry: ToolRegistry) -> None:
    tool = registry.get("notes_get_note")
    assert tool.input_schema["required"] == ["id"]
    assert tool.input_schema["properties"]["id"]["type"] == "integer"
    assert tool.description == "One note by its id."
    assert registry.validate("notes_get_note", {"id": "seven"}) == [
        "`args.id`: expected integer, got 'seven'"
    ]
