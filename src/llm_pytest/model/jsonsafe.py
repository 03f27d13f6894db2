"""Values made safe to write anywhere: strict JSON, UTF-8 text, bounded depth.

A tool may return what no report can hold as is: an integer of more digits than Python turns into
text, a string with lone surrogates (not encodable as UTF-8), NaN, circular or absurdly deep data,
objects of its own. Reports must still be written, so such values become readable placeholders
that say what was there.
"""

from __future__ import annotations

import math
import sys
from dataclasses import fields, is_dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "json_safe", "safe_text"]

MAX_DEPTH = 200
"""Levels of nested lists and mappings kept; deeper data becomes a placeholder."""


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON data (dataclasses as mappings, tuples and sets as lists), with
    placeholders for what JSON or UTF-8 cannot hold: ``"<int of 5001 digits>"``, ``"\\ud800"``
    for a lone surrogate, ``"nan"``, ``"<circular reference>"``, ``"<nested deeper than 200
    levels>"``."""
    return _safe(value, 0, set())


def safe_text(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX`` escapes, so it encodes as UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _safe(value: Any, depth: int, active: set[int]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return safe_text(value)
    container = isinstance(value, dict | list | tuple | set | frozenset)
    record = is_dataclass(value) and not isinstance(value, type)
    if not (container or record):
        return _other(value)
    if depth >= MAX_DEPTH:
        return f"<nested deeper than {MAX_DEPTH} levels>"
    key = id(value)
    if key in active:
        return "<circular reference>"
    active.add(key)
    try:
        if record:
            return {f.name: _safe(getattr(value, f.name), depth + 1, active) for f in fields(value)}
        if isinstance(value, dict):
            return {_key(k): _safe(v, depth + 1, active) for k, v in value.items()}
        return [_safe(v, depth + 1, active) for v in value]
    finally:
        active.discard(key)


def _int(value: int) -> int | str:
    limit = sys.get_int_max_str_digits()
    if not limit or value.bit_length() < limit * 3:  # 3 bits < one decimal digit: surely fits
        return value
    try:
        str(value)
    except ValueError:
        return f"<int of {_digits(abs(value))} digits>"
    return value


def _digits(n: int) -> int:
    """How many decimal digits ``n`` (> 0) has, without writing it out."""
    digits = int(math.log10(n)) + 1
    if n >= 10**digits:  # the float logarithm can be off by one near a power of ten
        return digits + 1
    if n < 10 ** (digits - 1):
        return digits - 1
    return digits


def _key(key: Any) -> str:
    safe = _safe(key, 0, set()) if isinstance(key, int | float | str) else _other(key)
    return safe if isinstance(safe, str) else str(safe)


def _other(value: Any) -> str:
    try:
        return safe_text(str(value))
    except Exception:  # a str() that fails must not lose the report
        return f"<{type(value).__name__} object>"
