"""The value of an MCP tool result: what ``save_as`` binds and ``result`` reads (LANGUAGE.md §7).

- ``structuredContent`` when present; ``{"result": X}`` becomes ``X`` when the tool's output
  schema declares ``result`` as its only property (how SDK servers wrap a non-object return);
- otherwise the content: text parsed as JSON when it is valid JSON, else the text itself;
  non-text content as ``{"type", "mime_type", "size"}``; several items give a list, none gives
  ``None``;
- a result with ``isError`` raises :class:`~llm_pytest.errors.ToolError` with the server's text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp_types import (
    AudioContent,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from llm_pytest.errors import ToolError

__all__ = ["content_text", "content_value", "error_text", "tool_value"]


def tool_value(result: CallToolResult, output_schema: Mapping[str, Any] | None = None) -> Any:
    """The value of ``result``; a result with ``isError`` raises :class:`ToolError`."""
    if result.is_error:
        raise ToolError(error_text(result))
    structured = result.structured_content
    if structured is not None:
        if (
            _wraps_result(output_schema)
            and isinstance(structured, dict)
            and structured.keys() == {"result"}
        ):
            return structured["result"]
        return structured
    values = [content_value(block) for block in result.content]
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def error_text(result: CallToolResult) -> str:
    """The message of an ``isError`` result: its text content, one item per line."""
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    message = "\n".join(t for t in texts if t.strip())
    return message or "the tool reported an error without a message"


def content_text(result: CallToolResult) -> str | None:
    """The raw text of ``result``'s text content, one item per line (None when it has none)."""
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    return "\n".join(texts) if texts else None


def content_value(block: ContentBlock) -> Any:
    """One content item as a value: JSON-parsed text, or a description of binary content."""
    if isinstance(block, TextContent):
        return _parse_text(block.text)
    if isinstance(block, ImageContent | AudioContent):
        return _describe(block.type, block.mime_type, _base64_size(block.data))
    if isinstance(block, EmbeddedResource):
        inner = block.resource
        if isinstance(inner, TextResourceContents):
            size = len(inner.text.encode())
        else:
            size = _base64_size(inner.blob)
        return _describe(block.type, inner.mime_type, size)
    if isinstance(block, ResourceLink):
        return _describe(block.type, block.mime_type, block.size)
    return _describe(str(getattr(block, "type", "unknown")), None, None)


def _wraps_result(output_schema: Mapping[str, Any] | None) -> bool:
    if not output_schema:
        return False
    properties = output_schema.get("properties")
    return isinstance(properties, Mapping) and list(properties) == ["result"]


def _parse_text(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        return text


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are accepted by Python's json module but are not JSON.
    raise ValueError(name)


def _describe(kind: str, mime_type: str | None, size: int | None) -> dict[str, Any]:
    return {"type": kind, "mime_type": mime_type, "size": size}


def _base64_size(data: str) -> int:
    """Decoded length of base64 ``data`` without decoding it."""
    stripped = data.strip()
    return len(stripped) * 3 // 4 - (len(stripped) - len(stripped.rstrip("=")))
