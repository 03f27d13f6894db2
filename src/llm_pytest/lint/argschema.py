"""A tool's argument schema, compiled once and validated cheaply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from llm_pytest.tools.registry import Tool

__all__ = ["ArgumentSchema", "argument_schema"]

_SCHEMAS: dict[int, ArgumentSchema] = {}
_MAX_SCHEMAS = 4096


def argument_schema(tool: Tool) -> ArgumentSchema:
    """The compiled schema of ``tool``; kept for the process, as linting file by file (an
    editor, the benchmark) meets the same few tools again and again."""
    schema = _SCHEMAS.get(id(tool))
    if schema is None or schema.tool is not tool:
        if len(_SCHEMAS) >= _MAX_SCHEMAS:
            _SCHEMAS.clear()
        schema = ArgumentSchema(tool)
        _SCHEMAS[id(tool)] = schema
    return schema


class ArgumentSchema:
    """A tool's input schema, ready to validate arguments.

    Most tool schemas are a flat object: ``properties``, ``required`` and
    ``additionalProperties``. For those, the object itself is checked here and each argument
    value by its own property's validator (skipped when the property allows anything), which
    costs a fraction of validating the whole object with jsonschema. Any other schema is
    validated as a whole.
    """

    def __init__(self, tool: Tool) -> None:
        self.tool = tool
        schema = tool.input_schema
        cls = jsonschema.validators.validator_for(schema)
        self._whole: Validator = cls(schema)
        self._flat = _is_flat(schema)
        properties = schema.get("properties", {})
        self._properties: dict[str, Validator | None] = {
            name: None if _allows_anything(sub) else self._whole.evolve(schema=sub)
            for name, sub in properties.items()
        }
        self._required = [r for r in schema.get("required", []) if isinstance(r, str)]
        self._required_keys = frozenset(self._required)
        self._known_keys = frozenset(self._properties)
        self._closed = schema.get("additionalProperties") is False
        # literal values that passed, per argument: specs repeat them (`method: GET`, names)
        self._valid: set[tuple[str, type, object]] = set()

    def errors(self, instance: dict[str, Any]) -> list[jsonschema.ValidationError]:
        """Every way ``instance`` (the arguments) does not match, as jsonschema errors."""
        if not self._flat:
            return list(self._whole.iter_errors(instance))
        schema = self.tool.input_schema
        out: list[jsonschema.ValidationError] = []
        keys = instance.keys()
        if not self._required_keys <= keys:
            out.append(_object_error("required", self._required, instance, schema))
        if self._closed and not keys <= self._known_keys:
            out.append(_object_error("additionalProperties", False, instance, schema))
        for key, value in instance.items():
            validator = self._properties.get(key)
            if validator is None:
                continue
            memo = (key, type(value), value) if type(value) in _SCALARS else None
            if memo is not None and memo in self._valid:
                continue
            errors = list(validator.iter_errors(value))
            for err in errors:
                err.path.appendleft(key)
            out.extend(errors)
            if memo is not None and not errors and len(self._valid) < _MAX_MEMO:
                self._valid.add(memo)
        return out


_SCALARS = (str, int, float, bool)
_MAX_MEMO = 4096
_FLAT_KEYS = frozenset(
    {"type", "properties", "required", "additionalProperties", "title", "description"}
    | {"$schema", "$id", "$defs", "definitions", "default", "examples"}
)
_ANNOTATIONS = frozenset({"title", "description", "default", "examples"})


def _is_flat(schema: Mapping[str, Any]) -> bool:
    return (
        schema.get("type") == "object"
        and _FLAT_KEYS.issuperset(schema)
        and isinstance(schema.get("properties", {}), Mapping)
        and isinstance(schema.get("additionalProperties", True), bool)
    )


def _allows_anything(schema: Any) -> bool:
    return schema is True or (isinstance(schema, Mapping) and _ANNOTATIONS.issuperset(schema))


def _object_error(
    keyword: str, value: Any, instance: dict[str, Any], schema: Mapping[str, Any]
) -> jsonschema.ValidationError:
    return jsonschema.ValidationError(
        f"{keyword} not satisfied",
        validator=keyword,
        validator_value=value,
        instance=instance,
        schema=schema,
    )
