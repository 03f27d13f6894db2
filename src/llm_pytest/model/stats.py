"""Outcome statistics of runs (docs/language.md §11): pass rate, flakiness, pass^k and pass@k, and
run durations. The result API, the failure report and every report format read them here."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from llm_pytest.errors import UsageError
from llm_pytest.model.trace import RunTrace

__all__ = ["ItemStats", "item_stats", "percentile"]


@dataclass(frozen=True)
class ItemStats:
    """Statistics of some runs (UNCLEAR runs excluded from the rates)."""

    total_runs: int
    judged_runs: int
    passed_runs: int
    unclear_runs: int
    durations_ms: tuple[float, ...] = ()
    """Each run's duration, setup to teardown, in run order."""

    @property
    def pass_rate(self) -> float:
        return self.passed_runs / self.judged_runs if self.judged_runs else 0.0

    @property
    def flaky(self) -> bool:
        return 0 < self.passed_runs < self.judged_runs

    @property
    def avg_ms(self) -> float:
        d = self.durations_ms
        return sum(d) / len(d) if d else 0.0

    @property
    def p95_ms(self) -> float:
        """The 95th percentile of the run durations (nearest rank)."""
        return percentile(self.durations_ms, 0.95)

    def pass_hat_k(self, k: int) -> float | None:
        """C(c,k)/C(n,k): the chance that k fresh runs would all pass; None when k > n."""
        n, c = self.judged_runs, self.passed_runs
        if _check_k(k) > n:
            return None
        return math.comb(c, k) / math.comb(n, k)

    def pass_at_k(self, k: int) -> float | None:
        """1 - C(n-c,k)/C(n,k): the chance that at least one of k fresh runs would pass; None
        when k > n."""
        n, c = self.judged_runs, self.passed_runs
        if _check_k(k) > n:
            return None
        return 1 - math.comb(n - c, k) / math.comb(n, k)


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise UsageError(f"k must be a whole number ≥ 1, got {k!r}")
    return k


def item_stats(traces: Iterable[RunTrace]) -> ItemStats:
    """The statistics of ``traces``: of one item, or of every run of a file or session."""
    runs = list(traces)
    passed = sum(t.outcome == "PASS" for t in runs)
    unclear = sum(t.outcome == "UNCLEAR" for t in runs)
    durations = tuple(t.duration_ms for t in runs)
    return ItemStats(len(runs), len(runs) - unclear, passed, unclear, durations)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0.0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
