"""Reading a verdict out of a judge LLM's answer.

The answer may be the JSON object alone, fenced in Markdown, or surrounded by prose. Every JSON
object in it is considered; those that are verdicts must agree. Anything else is an
:class:`InvalidVerdict` saying what was wrong, which the judge sends back once for repair.
"""

from __future__ import annotations

import json
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
_MAX_OBJECTS = 50
_EXCERPT = 1000


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
    objects = _json_objects(text)
    if not objects:
        raise InvalidVerdict("the answer holds no JSON object")
    valid: list[dict[str, Any]] = []
    problems: list[str] = []
    for obj in objects:
        normalized = _normalize(obj)
        problem = schema_problem(normalized)
        if problem is None:
            valid.append(normalized)
        else:
            problems.append(problem)
    if not valid:
        raise InvalidVerdict(f"the JSON does not match the verdict schema: {problems[0]}")
    outcomes = sorted({v["verdict"] for v in valid})
    if len(outcomes) > 1:
        raise InvalidVerdict(f"the answer holds verdicts that disagree: {', '.join(outcomes)}")
    # The last one: an answer that quotes an example first states its own verdict after it.
    chosen = valid[-1]
    return Verdict(
        verdict=cast(Outcome, chosen["verdict"]),
        reason=chosen["reason"],
        steps=list(chosen.get("steps", [])),
        issues=list(chosen.get("issues", [])),
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


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in ``text``, in order (Markdown fences need no special case:
    the object inside is found like any other)."""
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
    except ValueError:
        pass
    else:
        return [whole] if isinstance(whole, dict) else []
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    pos = stripped.find("{")
    attempts = 0
    while pos != -1 and attempts < _MAX_OBJECTS * 4:
        attempts += 1
        try:
            obj, end = decoder.raw_decode(stripped, pos)
        except ValueError:
            pos = stripped.find("{", pos + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
            if len(found) == _MAX_OBJECTS:
                break
        pos = stripped.find("{", end)
    return found
