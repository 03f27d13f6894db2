"""The one check of a tool's arguments, used by the interpreter, agent mode, the MCP server and
lint.

Each :class:`~.registry.Tool` compiles its :class:`ArgumentCheck` once (``tool.arguments``).
The fast predicate of :mod:`~.argcheck` answers first; only what it cannot vouch for reaches
jsonschema, which decides and gives the errors. Most tool schemas are a flat object
(``properties``, ``required``, ``additionalProperties``): for those jsonschema only sees the
argument values the predicates of their own properties do not accept, and the object's own
keywords when a name is missing or unknown, which costs a fraction of validating the whole
object; the errors are the ones validating the whole object gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from llm_pytest.tools.argcheck import Predicate, compile_schema

__all__ = ["ArgumentCheck", "format_schema_error"]


class ArgumentCheck:
    """A tool's input schema compiled once: :meth:`problems` for callers, :meth:`errors` for
    lint, which words its findings from jsonschema's errors."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self._fast = compile_schema(schema)
        self._slow: _Validation | None = None

    def errors(self, args: Mapping[str, Any]) -> list[jsonschema.ValidationError]:
        """Every way ``args`` do not match the schema, ordered by where in ``args``."""
        if self._fast is not None and self._fast(args):
            return []
        return self._validated(args)

    def problems(self, args: Mapping[str, Any]) -> list[str]:
        """Every mismatch between ``args`` and the schema, one line each (none: they match)."""
        if self._fast is not None and self._fast(args):
            return []
        return [format_schema_error(e) for e in self._validated(args)]

    def _validated(self, args: Mapping[str, Any]) -> list[jsonschema.ValidationError]:
        slow = self._slow
        if slow is None:
            slow = self._slow = _validation(self.schema)
        errors = slow.errors(dict(args))
        return sorted(errors, key=lambda e: list(e.absolute_path))


def format_schema_error(err: jsonschema.ValidationError) -> str:
    """One line for an argument that does not match a tool's schema."""
    where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
    where = f"`args{where}`" if where else "the arguments"
    if err.validator == "required":
        return f"{where}: missing required argument {err.message.split(' is a required')[0]}"
    if err.validator == "additionalProperties":
        return f"{where}: {err.message}"
    if err.validator == "type":
        return f"{where}: expected {err.validator_value}, got {err.instance!r}"
    return f"{where}: {err.message}"


@dataclass(frozen=True, slots=True)
class _Validation:
    """jsonschema for the whole object, or, for a flat object, its parts."""

    whole: Validator
    flat: _Flat | None = None

    def errors(self, instance: dict[str, Any]) -> list[jsonschema.ValidationError]:
        if self.flat is None:
            return list(self.whole.iter_errors(instance))
        return self.flat.errors(instance)


@dataclass(frozen=True, slots=True)
class _Flat:
    schema: Mapping[str, Any]
    shape: Validator
    """The object's own keywords, with every property allowing anything."""
    required: frozenset[str]
    known: frozenset[str]
    closed: bool
    properties: dict[str, tuple[Predicate | None, Validator]]

    def errors(self, instance: dict[str, Any]) -> list[jsonschema.ValidationError]:
        out: list[jsonschema.ValidationError] = []
        keys = instance.keys()
        if not self.required <= keys or (self.closed and not keys <= self.known):
            for err in self.shape.iter_errors(instance):
                err.schema = self.schema  # as validating the whole object gives it
                out.append(err)
        for key, value in instance.items():
            prop = self.properties.get(key)
            if prop is None:
                continue
            fast, validator = prop
            if fast is not None and fast(value):
                continue
            for err in validator.iter_errors(value):
                err.path.appendleft(key)
                out.append(err)
        return out


_FLAT_KEYS = frozenset(
    {"type", "properties", "required", "additionalProperties", "title", "description"}
    | {"$schema", "$id", "$defs", "definitions", "default", "examples"}
)


def _validation(schema: Mapping[str, Any]) -> _Validation:
    whole: Validator = jsonschema.validators.validator_for(schema)(schema)
    properties = schema.get("properties", {})
    if not (
        schema.get("type") == "object"
        and _FLAT_KEYS.issuperset(schema)
        and isinstance(properties, Mapping)
        and isinstance(schema.get("additionalProperties", True), bool)
    ):
        return _Validation(whole)
    # Under another draft the predicates' reading of a keyword may not hold.
    fast = "$schema" not in schema
    shape = {**schema, "properties": dict.fromkeys(properties, True)}
    flat = _Flat(
        schema=schema,
        shape=whole.evolve(schema=shape),
        required=frozenset(r for r in schema.get("required", []) if isinstance(r, str)),
        known=frozenset(properties),
        closed=schema.get("additionalProperties") is False,
        properties={
            name: (compile_schema(sub) if fast else None, whole.evolve(schema=sub))
            for name, sub in properties.items()
        },
    )
    return _Validation(whole, flat)
