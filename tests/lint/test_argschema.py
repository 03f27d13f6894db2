"""Argument checks find exactly what validating the whole schema with jsonschema finds."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from llm_pytest.lint.argschema import ArgumentSchema
from llm_pytest.tools.registry import Tool

from .support import registry

ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"name": "k", "value": 1},
    {"name": 3},
    {"name": "", "extra": True, "value": None},
    {"seconds": "soon"},
    {"seconds": -1},
    {"method": "GET", "url": "ftp://x", "headers": {"a": 1}, "timeout": 0},
    {"method": "G E T", "url": "http://x", "params": {"q": [1, {"x": 1}]}},
    {"argv": [], "env": {"A": 2}, "cwd": 5},
    {"argv": ["ls"], "stdin": "x", "timeout": 1.5},
    {"path": ""},
]


def _shape(errors: list[jsonschema.ValidationError]) -> list[tuple[object, ...]]:
    return sorted((str(e.validator), tuple(e.absolute_path)) for e in errors)


@pytest.mark.parametrize("tool", list(registry()), ids=lambda t: t.name)
def test_flat_schemas_give_the_same_errors_as_jsonschema(tool: Tool) -> None:
    whole = jsonschema.validators.validator_for(tool.input_schema)(tool.input_schema)
    schema = ArgumentSchema(tool)
    for arguments in ARGUMENTS:
        for _ in range(2):  # the second pass answers valid values from the memo
            found = schema.errors(arguments)
            expected = list(whole.iter_errors(arguments))
            # the whole-schema run reports each missing name; ours, the keyword once
            assert _shape(found) == sorted(set(_shape(expected))), arguments


def test_other_schemas_are_validated_as_a_whole() -> None:
    schema = {
        "type": "object",
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
        "properties": {"a": {"type": "string"}},
    }
    tool = Tool("either", "", schema, lambda ctx, args: None)
    assert [e.validator for e in ArgumentSchema(tool).errors({"c": 1})] == ["anyOf"]
    assert ArgumentSchema(tool).errors({"a": "x"}) == []
