"""Item records: what every report is made from.

An :class:`ItemRecord` is the JSON-ready account of one item (a test × experiment) that ran: its
outcome, its runs' full traces and summary lines. Records travel from pytest-xdist workers to the
controller on test reports, so reports never depend on which process ran what.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from llm_pytest.model.result import ItemResult
from llm_pytest.model.verdict import ItemStats

__all__ = ["ItemRecord", "Totals", "record_of", "totals"]


@dataclass
class ItemRecord:
    """One item that ran: ``runs`` hold ``RunTrace.to_json()``, ``summaries`` the
    ``RunTrace.summary()`` lines."""

    nodeid: str
    """The pytest test that ran it (a spec item, or a Python test using ``llm_runner``)."""
    group: str
    """What tables group it under: its spec file, or the Python test that ran it."""
    label: str
    """How tables name it within its group."""
    spec: str
    item: str
    test: str
    experiment: str | None
    outcome: str
    """``passed``, ``failed`` or ``skipped`` (every run UNCLEAR), per LANGUAGE.md §6."""
    min_pass_rate: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemRecord:
        return cls(**data)

    @property
    def stats(self) -> ItemStats:
        outcomes = [s["outcome"] for s in self.summaries]
        unclear = outcomes.count("UNCLEAR")
        return ItemStats(len(outcomes), len(outcomes) - unclear, outcomes.count("PASS"), unclear)

    @property
    def durations_ms(self) -> list[float]:
        return [float(s["duration_ms"]) for s in self.summaries]

    @property
    def avg_ms(self) -> float:
        d = self.durations_ms
        return sum(d) / len(d) if d else 0.0

    @property
    def p95_ms(self) -> float:
        return percentile(self.durations_ms, 0.95)

    @property
    def tokens(self) -> int:
        return sum(int(s["tokens"]) for s in self.summaries)

    @property
    def cost(self) -> float:
        return sum(float(s["cost"]) for s in self.summaries)

    @property
    def verdicts(self) -> int:
        """Runs the judge answered (from the provider or the cache)."""
        return sum(run.get("judge") is not None for run in self.runs)

    @property
    def cached_verdicts(self) -> int:
        return sum(bool((run.get("judge") or {}).get("cached")) for run in self.runs)

    def reasons(self, outcome: str) -> list[str]:
        """The distinct reasons of the runs with ``outcome`` (PASS/FAIL/UNCLEAR), in run order."""
        seen: dict[str, None] = {}
        for s in self.summaries:
            if s["outcome"] == outcome and s["reason"]:
                seen.setdefault(s["reason"])
        return list(seen)


def record_of(result: ItemResult, *, nodeid: str, group: str, label: str) -> ItemRecord:
    """The record of an item that ran."""
    plan = result.plan
    return ItemRecord(
        nodeid=nodeid,
        group=group,
        label=label,
        spec=plan.path,
        item=plan.item_name,
        test=plan.test_name,
        experiment=plan.experiment,
        outcome=result.outcome,
        min_pass_rate=plan.min_pass_rate,
        runs=[run.to_json() for run in result.runs],
        summaries=[run.summary() for run in result.runs],
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0.0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class Totals:
    """Aggregates over every record of a session."""

    items: int
    passed: int
    failed: int
    skipped: int
    runs: int
    passed_runs: int
    judged_runs: int
    unclear_runs: int
    tokens: int
    cost: float
    duration_ms: float
    p95_ms: float
    verdicts: int = 0
    cached_verdicts: int = 0

    @property
    def pass_rate(self) -> float:
        return self.passed_runs / self.judged_runs if self.judged_runs else 0.0


def totals(records: Iterable[ItemRecord]) -> Totals:
    recs = list(records)
    stats = [r.stats for r in recs]
    durations = [d for r in recs for d in r.durations_ms]
    return Totals(
        items=len(recs),
        passed=sum(r.outcome == "passed" for r in recs),
        failed=sum(r.outcome == "failed" for r in recs),
        skipped=sum(r.outcome == "skipped" for r in recs),
        runs=sum(s.total_runs for s in stats),
        passed_runs=sum(s.passed_runs for s in stats),
        judged_runs=sum(s.judged_runs for s in stats),
        unclear_runs=sum(s.unclear_runs for s in stats),
        tokens=sum(r.tokens for r in recs),
        cost=sum(r.cost for r in recs),
        duration_ms=sum(durations),
        p95_ms=percentile(durations, 0.95),
        verdicts=sum(r.verdicts for r in recs),
        cached_verdicts=sum(r.cached_verdicts for r in recs),
    )
