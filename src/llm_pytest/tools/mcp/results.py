"""The value of an MCP tool result: what ``save_as`` binds, ``result`` reads (docs/language.md §7).

- ``structuredContent`` when present; ``{"result": X}`` becomes ``X`` when the tool's output
  schema declares ``result`` as its only property (how SDK servers wrap a non-object return);
- otherwise the content: text parsed as JSON when it is valid JSON, else the text itself;
  other content as plain data (:func:`content_block`); several items give a list, none gives
  ``None``;
- a result with ``isError`` raises :class:`~llm_pytest.errors.ToolError` with the server's text.

Nothing of a block is lost: :func:`content_block` maps every kind to plain data (snake_case
keys), which is also what ``call.content`` holds, block by block:

- text: ``{type: text, text}``;
- image and audio: ``{type, mime_type, data, size}`` (``data`` base64, ``size`` decoded bytes);
- an embedded resource: ``{type: resource, uri, mime_type, text, size}`` or ``{..., blob, size}``;
- a resource link: ``{type: resource_link, uri, name, title, description, mime_type, size}``;
- ``annotations`` (``audience``, ``priority``, ``last_modified``) and ``meta`` when present.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp_types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from pydantic import BaseModel

from llm_pytest.errors import ToolError

__all__ = [
    "content_block",
    "content_text",
    "content_value",
    "error_text",
    "plain",
    "resource_contents",
    "tool_value",
]


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
    """One content item as a value: JSON-parsed text, any other block as plain data."""
    if isinstance(block, TextContent):
        return _parse_text(block.text)
    return content_block(block)


def content_block(block: ContentBlock) -> dict[str, Any]:
    """One content item as plain data, without loss (see the module's docstring)."""
    out: dict[str, Any]
    if isinstance(block, TextContent):
        out = {"type": block.type, "text": block.text}
    elif isinstance(block, ImageContent | AudioContent):
        out = {
            "type": block.type,
            "mime_type": block.mime_type,
            "data": block.data,
            "size": _base64_size(block.data),
        }
    elif isinstance(block, EmbeddedResource):
        inner = resource_contents(block.resource)
        if "meta" in inner:
            inner["resource_meta"] = inner.pop("meta")
        out = {"type": block.type, **inner}
    elif isinstance(block, ResourceLink):
        out = {
            "type": block.type,
            "uri": str(block.uri),
            "name": block.name,
            "title": block.title,
            "description": block.description,
            "mime_type": block.mime_type,
            "size": block.size,
        }
    else:
        dumped = plain(block)
        out = dumped if isinstance(dumped, dict) else {"type": "unknown", "value": dumped}
        out.setdefault("type", "unknown")
        return out
    annotations = getattr(block, "annotations", None)
    if annotations is not None:
        out["annotations"] = plain(annotations)
    meta = getattr(block, "meta", None)
    if meta:
        out["meta"] = plain(meta)
    return out


def resource_contents(contents: TextResourceContents | BlobResourceContents) -> dict[str, Any]:
    """The contents of a resource as plain data: ``uri``, ``mime_type``, ``text`` or ``blob``
    (base64), ``size`` in bytes (and ``meta`` when present)."""
    out: dict[str, Any] = {"uri": str(contents.uri), "mime_type": contents.mime_type}
    if isinstance(contents, TextResourceContents):
        out.update(text=contents.text, size=len(contents.text.encode()))
    else:
        out.update(blob=contents.blob, size=_base64_size(contents.blob))
    if contents.meta:
        out["meta"] = plain(contents.meta)
    return out


def plain(value: Any) -> Any:
    """A model of the MCP SDK (or anything holding them) as JSON-ready data, snake_case keys,
    unset fields left out."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


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


def _base64_size(data: str) -> int:
    """Decoded length of base64 ``data`` without decoding it."""
    stripped = data.strip()
    return len(stripped) * 3 // 4 - (len(stripped) - len(stripped.rstrip("=")))
