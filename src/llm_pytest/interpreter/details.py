"""``call`` in a step's ``check`` and ``until``: the details of its tool call
(docs/language.md §12)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llm_pytest.model.jsonsafe import json_safe

__all__ = ["call_details", "raw_text"]


def call_details(
    *,
    ok: bool,
    result: Any,
    error: str | None,
    error_types: tuple[str, ...],
    attempts: int,
    duration_ms: float,
    told: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """``call`` after ``attempts`` attempts that took ``duration_ms``; ``told`` is what the tool
    said about the last one, which wins over what is derived: an MCP tool tells its result's raw
    ``text`` and ``content`` blocks, and the ``progress``, ``logs`` and ``requests`` its server
    sent during the call."""
    details: dict[str, Any] = {
        "error": None if ok else error or "the tool failed",
        "error_type": None if ok or not error_types else error_types[0],
        "attempts": attempts,
        "duration_ms": duration_ms,
        "text": raw_text(result) if ok else None,
    }
    if told:
        details.update(told)
    return details


def raw_text(result: Any) -> str:
    """A result's text before any parsing: a string as it is, anything else as JSON."""
    if isinstance(result, str):
        return result
    # json_safe: a huge int or circular data gets a placeholder rather than failing the run
    return json.dumps(json_safe(result), ensure_ascii=False)
