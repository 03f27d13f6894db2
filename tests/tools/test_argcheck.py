"""The fast argument check may only ever say "valid" when jsonschema agrees; it must say so for
the usual arguments of built-in and plugin tools (or it would not be the fast path)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest

from llm_pytest.tools.argcheck import compile_schema
from llm_pytest.tools.builtin import builtin_tools
from tests.spec_support import LoadPlugins

# The first twelve are combined pairwise into argument maps.
POOL: list[Any] = [
    None, True, 0, 1, -1, 2.5, "", "a", "GET", "http://127.0.0.1/", [], {},
    False, 1.0, float("nan"), "g e t", "ftp://x", ["a"], [1, "b"], {"a": "b"}, {"a": 1},
    {"a": [1]},
]  # fmt: skip

PLUGIN = {
    "typed.py": """
        from typing import Literal
        from pydantic import BaseModel
        from llm_pytest import LLMPlugin

        class Point(BaseModel):
            x: int

        class Typed(LLMPlugin):
            name = "typed"

            async def simple(self, text: str, count: int = 1, ratio: float = 0.5,
                             flag: bool = False) -> dict:
                return {}

            async def shaped(self, tags: list[str], scores: dict[str, int],
                             mode: Literal["fast", "slow"] = "fast",
                             note: str | None = None) -> dict:
                return {}

            async def nested(self, point: Point) -> dict:
                return {}
    """
}

HANDMADE: list[dict[str, Any]] = [
    {"type": ["string", "null"], "minLength": 2, "maxLength": 3},
    {"type": "integer", "minimum": 0, "exclusiveMaximum": 2},
    {"type": "number", "exclusiveMinimum": 0, "maximum": 2},
    {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
    {"enum": ["a", 1, None]},
    {"const": 1},
    {"anyOf": [{"type": "string", "pattern": "^g"}, {"type": "integer"}]},
    {"allOf": [{"type": "string"}, {"minLength": 1}]},
    {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": {"type": "integer"},
    },
    {"type": "object", "required": ["a"], "properties": {"a": {}}},
]


def values_for(schema: Mapping[str, Any]) -> Iterator[Any]:
    """Pool values, the schema's own examples, and for object schemas argument maps built from
    the pool."""
    yield from POOL
    yield from schema.get("examples", [])
    props = list(schema.get("properties", {}))
    if not props:
        return
    for name, value in itertools.product([*props, "unknown"], POOL):
        yield {name: value}
    for combo in itertools.product(POOL[:12], repeat=min(len(props), 2)):
        yield dict(zip(props, combo, strict=False))


def check_agreement(schema: Mapping[str, Any], values: list[Any]) -> int:
    """Assert the predicate never accepts what jsonschema refuses; count fast acceptances."""
    predicate = compile_schema(schema)
    assert predicate is not None, schema
    validator = jsonschema.validators.validator_for(schema)(schema)
    accepted = 0
    for value in values:
        if predicate(value):
            accepted += 1
            assert validator.is_valid(value), (schema, value)
    return accepted


@pytest.mark.parametrize("tool", builtin_tools(), ids=lambda t: t.name)
def test_builtin_tool_schemas_are_checked_fast_and_never_wrongly(tool: Any) -> None:
    assert check_agreement(tool.input_schema, list(values_for(tool.input_schema))) > 0


@pytest.mark.parametrize("schema", HANDMADE, ids=lambda s: ",".join(s))
def test_handmade_schemas_agree_with_jsonschema(schema: dict[str, Any]) -> None:
    assert check_agreement(schema, list(values_for(schema))) > 0


def test_plugin_schemas_agree_with_jsonschema(load_plugins: LoadPlugins) -> None:
    registry, _ = load_plugins(PLUGIN)
    for name in ("typed_simple", "typed_shaped"):
        schema = registry.get(name).input_schema
        assert check_agreement(schema, list(values_for(schema))) > 0


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("store_value", {"name": "n", "value": {"deep": [1, 2]}}),
        ("http_request", {"method": "POST", "url": "http://h/", "json": {"a": 1},
                          "headers": {"x": "y"}, "params": {"q": ["a", 1]}}),
        ("run_command", {"argv": ["ls", "-l"], "timeout": 2, "env": {"A": "b"}}),
        ("sleep", {"seconds": 0}),
        ("typed_simple", {"text": "t", "count": 3, "ratio": 1, "flag": True}),
        ("typed_shaped", {"tags": ["a"], "scores": {"a": 1}, "mode": "slow", "note": None}),
    ],
)  # fmt: skip
def test_the_usual_arguments_take_the_fast_path(
    load_plugins: LoadPlugins, tool: str, args: dict[str, Any]
) -> None:
    registry, _ = load_plugins(PLUGIN)
    predicate = compile_schema(registry.get(tool).input_schema)
    assert predicate is not None and predicate(args)
    assert registry.validate(tool, args) == []


def test_schemas_with_references_or_other_drafts_are_left_to_jsonschema(
    load_plugins: LoadPlugins,
) -> None:
    registry, _ = load_plugins(PLUGIN)
    assert compile_schema(registry.get("typed_nested").input_schema) is None
    assert compile_schema({"$schema": "http://json-schema.org/draft-04/schema#"}) is None
    assert compile_schema({"oneOf": [{"type": "string"}]}) is None
    assert compile_schema({"type": "object", "patternProperties": {"^a": {}}}) is None
