"""The value of an MCP tool result (docs/language.md section 7)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from mcp_types import (
    Annotations,
    BlobResourceContents,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from llm_pytest.errors import ToolError
from llm_pytest.tools.mcp.results import tool_value

WRAPPED_INT = {"type": "object", "properties": {"result": {"type": "integer"}}}


def result(*content: ContentBlock, structured: Any = None, error: bool = False) -> CallToolResult:
    return CallToolResult(content=list(content), structured_content=structured, is_error=error)


def text(value: str) -> TextContent:
    return TextContent(text=value)


def test_structured_content_is_the_value() -> None:
    value = tool_value(result(text('{"id": 1}'), structured={"id": 1, "tags": ["a"]}))
    assert value == {"id": 1, "tags": ["a"]}


def test_wrapped_result_is_unwrapped_when_the_output_schema_declares_only_result() -> None:
    assert tool_value(result(text("3"), structured={"result": 3}), WRAPPED_INT) == 3


def test_result_key_is_kept_when_the_output_schema_has_other_properties() -> None:
    schema = {"type": "object", "properties": {"result": {}, "count": {}}}
    assert tool_value(result(structured={"result": 3}), schema) == {"result": 3}


def test_result_key_is_kept_without_an_output_schema() -> None:
    assert tool_value(result(structured={"result": 3})) == {"result": 3}


def test_structured_content_with_more_keys_is_not_unwrapped() -> None:
    value = tool_value(result(structured={"result": 3, "extra": 1}), WRAPPED_INT)
    assert value == {"result": 3, "extra": 1}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        ("42", 42),
        ("true", True),
        ("null", None),
        ('"quoted"', "quoted"),
        ("plain words", "plain words"),
        ("NaN", "NaN"),
        ("", ""),
    ],
)
def test_text_content_is_parsed_as_json_when_it_is_json(raw: str, expected: Any) -> None:
    assert tool_value(result(text(raw))) == expected


def test_several_content_items_give_a_list() -> None:
    assert tool_value(result(text("1"), text("two"))) == [1, "two"]


def test_no_content_gives_none() -> None:
    assert tool_value(result()) is None


def test_image_content_keeps_its_data_with_its_size() -> None:
    data = base64.b64encode(b"\x89PNG" + b"\0" * 96).decode()
    value = tool_value(result(ImageContent(data=data, mime_type="image/png")))
    assert value == {"type": "image", "mime_type": "image/png", "data": data, "size": 100}


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_binary_size_is_the_decoded_length(size: int) -> None:
    data = base64.b64encode(b"x" * size).decode()
    blob = BlobResourceContents(
        uri="file:///a.bin", mime_type="application/octet-stream", blob=data
    )
    value = tool_value(result(EmbeddedResource(resource=blob)))
    assert value == {
        "type": "resource",
        "uri": "file:///a.bin",
        "mime_type": "application/octet-stream",
        "blob": data,
        "size": size,
    }


def test_embedded_text_resource_keeps_uri_and_text_with_its_size_in_bytes() -> None:
    inner = TextResourceContents(uri="file:///n.txt", mime_type="text/plain", text="héllo")
    value = tool_value(result(EmbeddedResource(resource=inner)))
    assert value == {
        "type": "resource",
        "uri": "file:///n.txt",
        "mime_type": "text/plain",
        "text": "héllo",
        "size": 6,
    }


def test_resource_link_keeps_uri_and_name() -> None:
    link = ResourceLink(uri="file:///r.csv", name="r", mime_type="text/csv", size=12)
    assert tool_value(result(link)) == {
        "type": "resource_link",
        "uri": "file:///r.csv",
        "name": "r",
        "title": None,
        "description": None,
        "mime_type": "text/csv",
        "size": 12,
    }


def test_annotations_of_a_block_are_kept() -> None:
    image = ImageContent(
        data="QUJD", mime_type="image/gif", annotations=Annotations(audience=["assistant"])
    )
    assert tool_value(result(image))["annotations"] == {"audience": ["assistant"]}


def test_mixed_content_gives_a_list_of_values_and_descriptions() -> None:
    image = ImageContent(data="QUJD", mime_type="image/gif")
    value = tool_value(result(text('{"ok": true}'), image))
    assert value == [
        {"ok": True},
        {"type": "image", "mime_type": "image/gif", "data": "QUJD", "size": 3},
    ]


def test_error_result_raises_tool_error_with_the_server_text() -> None:
    with pytest.raises(ToolError, match="no note with id 7") as info:
        tool_value(result(text("no note with id 7"), error=True))
    assert info.value.message == "no note with id 7"


def test_error_result_joins_its_text_items() -> None:
    with pytest.raises(ToolError) as info:
        tool_value(result(text("first"), text("second"), error=True))
    assert info.value.message == "first\nsecond"


def test_error_result_without_text_still_says_it_failed() -> None:
    with pytest.raises(ToolError, match="without a message"):
        tool_value(result(error=True, structured={"detail": 1}))
