"""Run and item outcomes (LANGUAGE.md §6, §11) and the small interface the runner judges through."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Protocol

from llm_pytest.errors import UsageError
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import JudgeRecord, RunTrace

__all__ = ["NO_JUDGE_REASON", "ItemStats", "Judge", "OfflineJudge", "item_stats"]

NO_JUDGE_REASON = (
    "no judge configured: this spec has natural-language expectations (expect/analyze/verdict) "
    "that need an LLM; choose a judge provider with --llm-provider or ini `llm_provider`"
)
"""Why a run is UNCLEAR without a judge; the judging stage says it naming its providers."""


class Judge(Protocol):
    """Judges one finished run that passed its deterministic checks, from its trace alone
    (``spec`` is the spec's own ``judge:`` settings). A judge that cannot answer returns an
    UNCLEAR record saying why; it raises only ProviderConfigError, for a judge that cannot work
    at all (bad key, unknown model), which stops the session with one message."""

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord: ...


class OfflineJudge:
    """No LLM: every run that needs judgement is UNCLEAR, with ``reason`` (how to choose one)."""

    name = "offline"

    def __init__(self, reason: str = NO_JUDGE_REASON) -> None:
        self.reason = reason

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        return JudgeRecord(verdict="UNCLEAR", reason=self.reason, provider="offline")


@dataclass(frozen=True)
class ItemStats:
    """Statistics of an item's runs (UNCLEAR runs excluded from the rates)."""

    total_runs: int
    judged_runs: int
    passed_runs: int
    unclear_runs: int

    @property
    def pass_rate(self) -> float:
        return self.passed_runs / self.judged_runs if self.judged_runs else 0.0

    @property
    def flaky(self) -> bool:
        return 0 < self.passed_runs < self.judged_runs

    def pass_hat_k(self, k: int) -> float | None:
        """C(c,k)/C(n,k): the chance that k fresh runs would all pass; None when k > n."""
        n, c = self.judged_runs, self.passed_runs
        if _check_k(k) > n:
            return None
        return comb(c, k) / comb(n, k)

    def pass_at_k(self, k: int) -> float | None:
        """1 - C(n-c,k)/C(n,k): the chance that at least one of k fresh runs would pass; None
        when k > n."""
        n, c = self.judged_runs, self.passed_runs
        if _check_k(k) > n:
            return None
        return 1 - comb(n - c, k) / comb(n, k)


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise UsageError(f"k must be a whole number ≥ 1, got {k!r}")
    return k


def item_stats(traces: list[RunTrace]) -> ItemStats:
    """Counts of ``traces`` by outcome (LANGUAGE.md §11)."""
    passed = sum(t.outcome == "PASS" for t in traces)
    unclear = sum(t.outcome == "UNCLEAR" for t in traces)
    return ItemStats(len(traces), len(traces) - unclear, passed, unclear)
