"""A tool's argument check finds exactly what validating its whole schema with jsonschema finds,
in the same words, whether its fast predicate, its flat-object parts or jsonschema answers."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from llm_pytest.tools.arguments import ArgumentCheck, format_schema_error
from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.registry import Tool, ToolRegistry

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
    {"a": 1, "b": "x", "c": [2]},
]

NESTED = {
    "type": "object",
    "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    "properties": {"point": {"$ref": "#/$defs/Point"}, "label": {"type": "string"}},
    "required": ["point"],
    "additionalProperties": False,
}
EITHER = {
    "type": "object",
    "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
    "properties": {"a": {"type": "string"}},
}


def _whole(schema: dict[str, Any], args: dict[str, Any]) -> list[tuple[Any, ...]]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path))
    return [(e.validator, tuple(e.absolute_path), e.message) for e in errors]


def _found(check: ArgumentCheck, args: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e.validator, tuple(e.absolute_path), e.message) for e in check.errors(args)]


SCHEMAS = [*(dict(t.input_schema) for t in builtin_tools()), NESTED, EITHER]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: ",".join(sorted(s.get("properties", {}))))
def test_errors_and_messages_are_those_of_validating_the_whole_schema(
    schema: dict[str, Any],
) -> None:
    check = ArgumentCheck(schema)
    for args in [*ARGUMENTS, {"point": {"x": "one"}, "label": 2}, {"point": {"x": 1}}]:
        assert _found(check, args) == _whole(schema, args), args
        expected = [format_schema_error(e) for e in check.errors(args)]
        assert check.problems(args) == expected


def test_a_missing_and_an_unknown_argument_are_said_in_the_registrys_words() -> None:
    registry = ToolRegistry(builtin_tools())
    assert registry.validate("store_value", {"value": 1, "colour": "red"}) == [
        "the arguments: missing required argument 'name'",
        "the arguments: Additional properties are not allowed ('colour' was unexpected)",
    ]


def test_a_tool_compiles_its_check_once() -> None:
    tool = Tool("echo", "", {"type": "object"}, lambda ctx, args: args)
    assert tool.arguments is tool.arguments
    assert tool.arguments.problems({"anything": 1}) == []
