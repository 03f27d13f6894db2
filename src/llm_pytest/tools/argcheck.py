"""A fast first look at tool arguments, before the full JSON Schema validation.

Schemas made of the common keywords compile to small Python predicates. A predicate answers
True only when the schema surely accepts the value; False means "not sure", and the caller then
asks jsonschema (:mod:`~.arguments`), which decides and writes the messages. So the fast path can
never let through what jsonschema would refuse, and the common case skips jsonschema entirely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Predicate", "compile_schema"]

Predicate = Callable[[Any], bool]

# Keywords that assert nothing (without a format checker, `format` is an annotation too).
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "format", "deprecated",
     "readOnly", "writeOnly"}
)  # fmt: skip

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    # jsonschema also accepts 1.0 as an integer; that rare case is left to it.
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


class _Unsupported(Exception):
    """The schema uses a keyword this module does not decide."""


def compile_schema(schema: Mapping[str, Any] | bool) -> Predicate | None:
    """A predicate for ``schema``, or None when the schema uses keywords it cannot decide."""
    if isinstance(schema, Mapping) and "$schema" in schema:
        return None  # another draft may give keywords other meanings
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _compile(schema: Any) -> Predicate:
    if schema is True:
        return _always
    if not isinstance(schema, Mapping):
        raise _Unsupported
    if schema.get("type") == "object" and _OBJECT_KEYWORDS.issuperset(schema):
        return _object(schema)
    checks: list[Predicate] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        make = _KEYWORDS.get(key)
        if make is None:
            raise _Unsupported
        checks.append(make(value, schema))
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)


def _always(value: Any) -> bool:
    return True


_OBJECT_KEYWORDS = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}


def _object(schema: Mapping[str, Any]) -> Predicate:
    """The usual shape of a tool's arguments, checked in one pass (the hot path of a run)."""
    props_schema = schema.get("properties", {})
    required = schema.get("required", [])
    extra_schema = schema.get("additionalProperties", True)
    if not isinstance(props_schema, Mapping) or not isinstance(required, list):
        raise _Unsupported
    props = {str(k): _compile(s) for k, s in props_schema.items()}
    closed = extra_schema is False
    extra = None if closed else _compile(extra_schema)
    names = tuple(required)

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return False
        for name in names:
            if name not in v:
                return False
        for key, item in v.items():
            prop = props.get(key)
            if prop is not None:
                if not prop(item):
                    return False
            elif closed or (extra is not None and not extra(item)):
                return False
        return True

    return check


def _type(value: Any, schema: Mapping[str, Any]) -> Predicate:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(n in _TYPES for n in names):
        raise _Unsupported
    tests = [_TYPES[n] for n in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _properties(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, Mapping):
        raise _Unsupported
    props = {str(k): _compile(s) for k, s in value.items()}

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key, item in v.items():
            prop = props.get(key)
            if prop is not None and not prop(item):
                return False
        return True

    return check


def _additional(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if "patternProperties" in schema:
        raise _Unsupported
    known = frozenset(schema.get("properties", {}))
    if value is False:
        return lambda v: not isinstance(v, dict) or all(k in known for k in v)
    extra = _compile(value)
    return lambda v: (
        not isinstance(v, dict) or all(extra(item) for k, item in v.items() if k not in known)
    )


def _required(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, list):
        raise _Unsupported
    names = tuple(value)
    return lambda v: not isinstance(v, dict) or all(n in v for n in names)


def _items(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if "prefixItems" in schema:
        raise _Unsupported
    item = _compile(value)
    return lambda v: not isinstance(v, list) or all(item(x) for x in v)


def _any_of(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, list) or not value:
        raise _Unsupported
    branches = [_compile(s) for s in value]
    return lambda v: any(branch(v) for branch in branches)


def _all_of(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, list):
        raise _Unsupported
    parts = [_compile(s) for s in value]
    return lambda v: all(part(v) for part in parts)


def _enum(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, list):
        raise _Unsupported
    # Only scalars of the same type count as equal here: jsonschema tells 1 from true.
    options = [(type(o), o) for o in value if isinstance(o, str | int | float | bool) or o is None]
    return lambda v: any(type(v) is t and v == o for t, o in options)


def _const(value: Any, schema: Mapping[str, Any]) -> Predicate:
    return _enum([value], schema)


def _bound(name: str, compare: Callable[[Any, Any], bool], kind: str) -> Callable[..., Predicate]:
    def make(limit: Any, schema: Mapping[str, Any]) -> Predicate:
        if not isinstance(limit, int | float) or isinstance(limit, bool):
            raise _Unsupported
        applies = _TYPES[kind]
        if kind == "string":
            return lambda v: not applies(v) or compare(len(v), limit)
        if kind == "array":
            return lambda v: not isinstance(v, list) or compare(len(v), limit)
        return lambda v: not applies(v) or compare(v, limit)

    make.__name__ = name
    return make


def _pattern(value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, str):
        raise _Unsupported
    try:
        regex = re.compile(value)
    except re.error:
        raise _Unsupported from None
    return lambda v: not isinstance(v, str) or regex.search(v) is not None


_KEYWORDS: dict[str, Callable[[Any, Mapping[str, Any]], Predicate]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "anyOf": _any_of,
    "allOf": _all_of,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _bound("minLength", lambda a, b: a >= b, "string"),
    "maxLength": _bound("maxLength", lambda a, b: a <= b, "string"),
    "minItems": _bound("minItems", lambda a, b: a >= b, "array"),
    "maxItems": _bound("maxItems", lambda a, b: a <= b, "array"),
    "minimum": _bound("minimum", lambda a, b: a >= b, "number"),
    "maximum": _bound("maximum", lambda a, b: a <= b, "number"),
    "exclusiveMinimum": _bound("exclusiveMinimum", lambda a, b: a > b, "number"),
    "exclusiveMaximum": _bound("exclusiveMaximum", lambda a, b: a < b, "number"),
}
