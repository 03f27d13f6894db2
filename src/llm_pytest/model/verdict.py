"""The small interface the runner judges through (outcome statistics are in ``model.stats``)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import JudgeRecord, RunTrace

__all__ = ["NO_JUDGE_REASON", "Judge", "OfflineJudge", "WrappingJudge"]

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


@runtime_checkable
class WrappingJudge(Judge, Protocol):
    """A judge that hands runs on to another (``wrapped``) with a policy around it: consensus,
    per-spec providers, limits. What answers in the end is found by following ``wrapped``."""

    @property
    def wrapped(self) -> Judge: ...


class OfflineJudge:
    """No LLM: every run that needs judgement is UNCLEAR, with ``reason`` (how to choose one)."""

    name = "offline"

    def __init__(self, reason: str = NO_JUDGE_REASON) -> None:
        self.reason = reason

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        return JudgeRecord(
            verdict="UNCLEAR", reason=self.reason, provider="offline", unclear="no_judge"
        )
