"""Report data read back from JSON: the inverse of ``to_json``, checked field by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from llm_pytest.errors import SourceLocation
from llm_pytest.model.trace import RunTrace

__all__ = ["decode", "decode_trace", "parse_location"]

T = TypeVar("T")

# pydantic compiles a validator per type, once: a session decodes every record it reports.
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def decode(kind: type[T], data: Mapping[str, Any]) -> T:
    """The ``kind`` (a dataclass) that ``data`` describes; keys it has no field for are ignored.

    Raises ``ValueError`` naming the first field that does not fit.
    """
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    try:
        decoded: T = adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "the line"
        raise ValueError(f"{field}: {first['msg']}") from None
    return decoded


def decode_trace(data: Mapping[str, Any]) -> RunTrace:
    """The trace that ``data`` (a ``RunTrace.to_json()``, or a line of ``per_trace.jsonl``)
    records; step locations are read from their ``path:line:col`` text."""
    steps = data.get("steps")
    if isinstance(steps, list):
        data = {**data, "steps": [_with_location(step) for step in steps]}
    return decode(RunTrace, data)


def parse_location(text: str) -> SourceLocation:
    """``path:line:col`` as ``str(SourceLocation)`` writes it (the path may hold colons)."""
    rest, _, col = text.rpartition(":")
    path, _, line = rest.rpartition(":")
    if not path or not line.isdigit() or not col.isdigit():
        raise ValueError(f"a location is `path:line:col`, got {text!r}")
    return SourceLocation(path, int(line), int(col))


def _with_location(step: Any) -> Any:
    if isinstance(step, Mapping) and isinstance(step.get("location"), str):
        return {**step, "location": parse_location(step["location"])}
    return step
