"""Which step of a run a judge's per-step finding is about.

The judge prompt gives each step a heading (its name), a number and its id; a model may answer
with any of them, or echo the heading with its number (``"1. Create a user"``), quoted or
emphasised. Matching tries the exact name first, so a step whose own name starts with a number
is still found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llm_pytest.model.trace import StepRecord

__all__ = ["finding_step"]

_DECORATION = " \t\"'`*_"
_NUMBERED = re.compile(r"^(?:step\s*)?#?(\d+)\s*(?:[.):\-\u2013\u2014]\s*|\s+|$)", re.IGNORECASE)


def finding_step(finding: Mapping[str, Any], steps: Sequence[StepRecord]) -> StepRecord | None:
    """The step ``finding`` (a judge's ``{"name", "ok", "finding"}``) is about, or None.

    ``name`` is matched, in order, as the step's name, as its id, as a name with a leading
    number or punctuation stripped, by a step id it mentions, and as a bare step number
    (1-based, in the order the prompt lists them) when the rest does not name a step.
    """
    name = str(finding.get("name", "")).strip()
    if not name or not steps:
        return None
    exact = _by(steps, name, lambda s: s.label) or _by(steps, name, lambda s: s.id)
    if exact is not None:
        return exact
    bare = name.strip(_DECORATION)
    number: int | None = None
    numbered = _NUMBERED.match(bare)
    if numbered is not None:
        number = int(numbered.group(1))
        bare = bare[numbered.end() :].strip(_DECORATION)
    if bare:
        found = (
            _by(steps, bare, lambda s: s.label)
            or _by(steps, bare, lambda s: s.id)
            or _by(steps, bare.casefold(), lambda s: s.label.casefold())
            or _mentioned_id(steps, bare)
        )
        if found is not None:
            return found
    if number is not None and 1 <= number <= len(steps):
        return steps[number - 1]
    return None


def _by(
    steps: Sequence[StepRecord], wanted: str, key: Callable[[StepRecord], str]
) -> StepRecord | None:
    return next((s for s in steps if key(s) == wanted), None)


def _mentioned_id(steps: Sequence[StepRecord], name: str) -> StepRecord | None:
    """The step whose id appears in ``name`` (the longest such id: ``steps[1].steps[0]``
    rather than ``steps[0]``)."""
    mentioned = [s for s in steps if s.id in name]
    return max(mentioned, key=lambda s: len(s.id), default=None)
