"""W116: ``judge.votes`` or ``judge.panel`` with a judge that does not judge.

The ``scripted`` judge answers from its script and ``offline`` answers UNCLEAR: asking either
several times samples no judgement, it only spends the script's entries (or repeats UNCLEAR).
"""

from __future__ import annotations

from llm_pytest.dsl.loader import Document
from llm_pytest.dsl.spec import Spec
from llm_pytest.lint.findings import Finding

__all__ = ["DETERMINISTIC_JUDGES", "pointless_votes"]

DETERMINISTIC_JUDGES = ("scripted", "offline")
"""Providers whose answers are fixed in advance: no judgement to sample."""

_WHY = {
    "scripted": "its answers are written in advance",
    "offline": "it answers UNCLEAR every time",
}


def pointless_votes(doc: Document, spec: Spec) -> list[Finding]:
    """A W116 finding when ``spec`` asks a deterministic judge for a consensus."""
    judge = spec.judge
    if judge is None:
        return []
    if judge.votes is not None and judge.votes > 1 and judge.provider in DETERMINISTIC_JUDGES:
        return [
            Finding(
                "W116",
                doc.locate(["judge", "votes"], key=True),
                f"`judge.votes: {judge.votes}` with the {judge.provider} judge: "
                f"{_WHY[judge.provider]}, so the votes measure nothing",
                "remove `votes`, or choose a judge LLM with `judge.provider`",
            )
        ]
    if judge.panel is not None:
        providers = [member.provider or judge.provider for member in judge.panel]
        if all(p in DETERMINISTIC_JUDGES for p in providers):
            return [
                Finding(
                    "W116",
                    doc.locate(["judge", "panel"], key=True),
                    f"`judge.panel` of only {' and '.join(sorted({str(p) for p in providers}))} "
                    "judges: their answers are fixed in advance, so the panel measures nothing",
                    "remove `panel`, or list judge LLMs in it",
                )
            ]
    return []
