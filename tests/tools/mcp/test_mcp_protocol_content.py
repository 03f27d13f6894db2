"""Content of MCP tool results without loss: the value, `call.text` and `call.content`, read from a
real server over stdio."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import StdioServerConfig
from llm_pytest.tools.registry import ToolRegistry

from .support import PROTOCOL_SERVER, context

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def registry() -> AsyncIterator[ToolRegistry]:
    config = StdioServerConfig("proto", "python", (str(PROTOCOL_SERVER),))
    async with McpConnections([config]) as connections:
        yield ToolRegistry(connections.tools())


async def gallery(registry: ToolRegistry) -> tuple[Any, dict[str, Any]]:
    out = await call_tool(registry.get("proto_gallery"), context(), {}, 10)
    assert out.ok, out.error
    return out.result, out.details


async def test_every_kind_of_content_keeps_its_data_uri_and_annotations(
    registry: ToolRegistry,
) -> None:
    value, _ = await gallery(registry)
    text, image, audio, embedded, blob, link = value
    assert text == 42  # today's rule: text that is JSON is parsed
    assert image == {
        "type": "image",
        "mime_type": "image/png",
        "data": image["data"],
        "size": 16,
    }
    assert base64.b64decode(image["data"]).startswith(b"\x89PNG")
    assert (audio["type"], audio["mime_type"], audio["size"]) == ("audio", "audio/wav", 8)
    assert embedded == {
        "type": "resource",
        "uri": "file:///notes/a.txt",
        "mime_type": "text/plain",
        "text": "first note",
        "size": 10,
    }
    assert (blob["uri"], blob["blob"], blob["size"]) == ("file:///notes/a.bin", "AAEC", 3)
    assert link["uri"] == "file:///notes/b.csv"
    assert (link["name"], link["mime_type"], link["size"]) == ("b.csv", "text/csv", 12)


async def test_call_text_is_the_raw_text_and_call_content_the_raw_blocks(
    registry: ToolRegistry,
) -> None:
    _, details = await gallery(registry)
    assert details["text"] == "42\n"
    first = details["content"][0]
    assert first == {
        "type": "text",
        "text": "42\n",
        "annotations": {"audience": ["user"], "priority": 0.5},
    }
    assert [block["type"] for block in details["content"]] == [
        "text",
        "image",
        "audio",
        "resource",
        "resource",
        "resource_link",
    ]
