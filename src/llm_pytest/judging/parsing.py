"""Reading a verdict out of a judge LLM's answer.

The answer must be one complete JSON object whose top level is the verdict: the whole answer
(surrounding whitespace aside), or the content of its one fenced Markdown block (prose around
the block is allowed if it holds no other verdict). A truncated object, several objects, an
object quoted in prose, or a verdict only nested inside another object is not a verdict: it is an
:class:`InvalidVerdict` saying what was wrong, which the judge sends back once for repair.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import best_match

from llm_pytest.model.trace import Outcome

__all__ = [
    "VALIDATION_SCHEMA",
    "InvalidVerdict",
    "Verdict",
    "excerpt",
    "parse_verdict",
    "schema_problem",
]

VALIDATION_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["PASS", "FAIL", "UNCLEAR"]},
        "reason": {"type": "string"},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "ok": {"type": "boolean"},
                    "finding": {"type": "string"},
                },
                "required": ["name", "ok"],
            },
        },
        "issues": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["verdict", "reason"],
}
"""What an answer must hold to count as a verdict: more lenient than the schema sent to the
LLM (``steps`` and ``issues`` may be missing, extra keys are ignored)."""

_VALIDATOR = jsonschema.Draft202012Validator(VALIDATION_SCHEMA)
_EXCERPT = 1000
_FENCE = "```"
_FENCE_TAG = re.compile(r"\A[ \t]*[A-Za-z][\w.+-]*(?=\s|\{)")
"""A fenced block's language tag (``json``), before its content."""
_VERDICT_KEY = re.compile(r"[\"']verdict[\"']\s*:")


class InvalidVerdict(ValueError):
    """The answer holds no valid verdict; the message says why."""


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: Outcome
    reason: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)


def parse_verdict(text: str) -> Verdict:
    """The verdict in ``text``; raises InvalidVerdict."""
    obj = _answer_object(text)
    normalized = _normalize(obj)
    problem = schema_problem(normalized)
    if problem is not None:
        raise InvalidVerdict(f"the JSON does not match the verdict schema: {problem}")
    return Verdict(
        verdict=cast(Outcome, normalized["verdict"]),
        reason=normalized["reason"],
        steps=list(normalized.get("steps", [])),
        issues=list(normalized.get("issues", [])),
    )


def schema_problem(obj: Any) -> str | None:
    """Why ``obj`` is not a verdict (the most relevant schema error), or None when it is one."""
    error = best_match(_VALIDATOR.iter_errors(obj))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def excerpt(text: str) -> str:
    """The start of an answer, for reports."""
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


def _normalize(obj: dict[str, Any]) -> dict[str, Any]:
    verdict = obj.get("verdict")
    if isinstance(verdict, str):
        return {**obj, "verdict": verdict.strip().upper()}
    return obj


def _answer_object(text: str) -> dict[str, Any]:
    """The one JSON object the answer consists of: the whole text, or the content of its one
    fenced block (the prose around it must not hold another verdict)."""
    stripped = text.strip()
    if "{" not in stripped:
        raise InvalidVerdict("the answer holds no JSON object")
    try:
        return _one_object(stripped, "the answer")
    except InvalidVerdict:
        if _FENCE not in stripped:
            raise
    fences = stripped.count(_FENCE)
    if fences != 2:
        raise InvalidVerdict(f"the answer holds {fences} {_FENCE} fences, not one fenced block")
    before, inside, after = stripped.split(_FENCE)
    if _VERDICT_KEY.search(before) or _VERDICT_KEY.search(after):
        raise InvalidVerdict("the text around the fenced block holds another verdict")
    return _one_object(_FENCE_TAG.sub("", inside, count=1).strip(), "the fenced block")


def _one_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidVerdict(
            f"{what} is not one complete JSON object ({exc.msg} at line {exc.lineno} "
            f"column {exc.colno})"
        ) from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise InvalidVerdict(f"{what} is not usable JSON ({exc})") from None
    except RecursionError:
        raise InvalidVerdict(f"{what} is JSON nested too deeply to read") from None
    if not isinstance(value, dict):
        raise InvalidVerdict(f"{what} is JSON but not an object")
    return value
