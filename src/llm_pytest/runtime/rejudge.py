"""Re-judging a recorded run: every run of a run folder that reached the judge is judged again
from its trace by another judge, no tool being called, and the verdicts are compared.

A run that never reached the judge (a step or check failed, or nothing needed judging) keeps
its outcome. Each re-judged run's prompt is rendered from its recorded trace, as the session
rendered it, with the new judge's settings (``max_result_chars``, the template); a spec's own
``judge:`` settings are not recorded in the run folder, so the new judge's ``votes`` setting
decides the consensus. Item outcomes are computed again from the new verdicts with each item's
recorded ``min_pass_rate``, unless the recorded verdicts do not explain the recorded outcome
(a Python test that failed on its own assert): that outcome is kept.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import anyio

from llm_pytest._defaults import DEFAULT_UNCLEAR, UnclearPolicy
from llm_pytest.errors import ProviderConfigError
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.redaction import Redactor
from llm_pytest.model.result import item_outcome
from llm_pytest.model.trace import JudgeRecord, Outcome, RunTrace
from llm_pytest.model.verdict import Judge
from llm_pytest.reports.records import ItemRecord

__all__ = ["Change", "Comparison", "rejudge"]


@dataclass(frozen=True, slots=True)
class Change:
    """One re-judged run: its verdict before and after."""

    nodeid: str
    label: str
    iteration: int
    runs: int
    """How many runs its item has."""
    before: Outcome
    after: Outcome
    agreement: str | None = None
    """The new consensus's agreement (``2/3``), when the new judge voted."""
    reason: str = ""
    """The new judge's reason."""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def name(self) -> str:
        """The item's node id, with the run when the item has several."""
        return self.nodeid if self.runs == 1 else f"{self.nodeid} run {self.iteration}"


@dataclass(frozen=True)
class Comparison:
    """A recorded run folder's records judged again, and what changed."""

    records: list[ItemRecord]
    """The new records, to write as a run folder of their own."""
    runs: list[Change]
    """Every re-judged run, in report order."""
    outcomes: list[tuple[ItemRecord, str]]
    """Items whose outcome changed: the new record and the outcome it had."""
    not_judged: int
    """Runs that never reached the judge, kept as they were."""
    spent_before: tuple[int, float] = (0, 0.0)
    """Tokens and USD the recorded judge spent on the re-judged runs."""
    spent_after: tuple[int, float] = (0, 0.0)
    """Tokens and USD the new judge spent on them."""

    @property
    def changes(self) -> list[Change]:
        return [change for change in self.runs if change.changed]

    def lines(self) -> list[str]:
        """The comparison as text: a line per changed verdict (``item  PASS → FAIL``), then the
        items whose outcome changed, then the counts."""
        changes = self.changes
        width = max((len(change.name) for change in changes), default=0)
        out = []
        for change in changes:
            agreed = f" ({change.agreement})" if change.agreement else ""
            out.append(f"{change.name.ljust(width)}  {change.before} → {change.after}{agreed}")
        for record, before in self.outcomes:
            out.append(f"item {record.nodeid}: {before} → {record.outcome}")
        judged = len(self.runs)
        verdicts = "verdict" if judged == 1 else "verdicts"
        summary = f"{len(changes)} of {judged} {verdicts} changed"
        summary += f", {len(self.outcomes)} item outcome{'' if len(self.outcomes) == 1 else 's'}"
        summary += " changed"
        if self.not_judged:
            runs = "1 run" if self.not_judged == 1 else f"{self.not_judged} runs"
            summary += f"; {runs} never reached the judge (kept as recorded)"
        out.append(summary)
        (tokens_before, cost_before), (tokens_after, cost_after) = (
            self.spent_before,
            self.spent_after,
        )
        out.append(
            f"judge cost: {tokens_before} tokens ${cost_before:.4f} recorded, "
            f"{tokens_after} tokens ${cost_after:.4f} now"
        )
        return out

    def to_json(self) -> list[dict[str, object]]:
        """One mapping per re-judged run (``comparison.jsonl``)."""
        return [
            {
                "nodeid": change.nodeid,
                "iteration": change.iteration,
                "before": change.before,
                "after": change.after,
                "changed": change.changed,
                "agreement": change.agreement,
                "reason": change.reason,
            }
            for change in self.runs
        ]


async def rejudge(
    records: Sequence[ItemRecord],
    judge: Judge,
    *,
    concurrency: int = 4,
    unclear: UnclearPolicy = DEFAULT_UNCLEAR,
    redact_names: Sequence[str] = (),
) -> Comparison:
    """``records`` judged again by ``judge``, at most ``concurrency`` runs at once.

    Raises ProviderConfigError when the judge cannot work at all (a rejected key).
    """
    redact = Redactor(os.environ, redact_names)
    limiter = anyio.CapacityLimiter(concurrency)
    todo = [
        (i, j, run) for i, rec in enumerate(records) for j, run in enumerate(rec.runs) if run.judge
    ]
    new: dict[tuple[int, int], JudgeRecord] = {}
    errors: list[ProviderConfigError] = []

    async def one(key: tuple[int, int], run: RunTrace) -> None:
        async with limiter:
            try:
                record = await judge(run, JudgePlan())
            except ProviderConfigError as exc:
                errors.append(exc)
                group.cancel_scope.cancel()
                return
            except Exception as exc:  # the protocol says never raise; a broken judge is no verdict
                record = JudgeRecord(
                    verdict="UNCLEAR",
                    reason=f"the judge failed: {type(exc).__name__}: {exc}",
                    provider=str(getattr(judge, "name", type(judge).__name__)),
                    unclear="judge_failed",
                )
        new[key] = _redacted(record, redact)

    async with anyio.create_task_group() as group:
        for i, j, run in todo:
            group.start_soon(one, (i, j), run)
    if errors:
        raise errors[0]

    out: list[ItemRecord] = []
    changes: list[Change] = []
    outcomes: list[tuple[ItemRecord, str]] = []
    for i, rec in enumerate(records):
        runs = []
        for j, run in enumerate(rec.runs):
            record = new.get((i, j))
            if record is None:
                runs.append(run)
                continue
            runs.append(
                dataclasses.replace(run, judge=record, outcome=record.verdict, reason=record.reason)
            )
            changes.append(
                Change(
                    rec.nodeid,
                    rec.label,
                    run.iteration,
                    len(rec.runs),
                    run.outcome,
                    record.verdict,
                    record.agreement,
                    record.reason,
                )
            )
        outcome = rec.outcome
        # an outcome decided elsewhere (a Python test's own assert, another UNCLEAR policy) is
        # kept: only one the recorded verdicts explain is decided again from the new ones
        if runs and item_outcome(rec.runs, rec.min_pass_rate, unclear) == rec.outcome:
            outcome = item_outcome(runs, rec.min_pass_rate, unclear)
        again = dataclasses.replace(rec, runs=runs, outcome=outcome)
        out.append(again)
        if outcome != rec.outcome:
            outcomes.append((again, rec.outcome))
    return Comparison(
        out,
        changes,
        outcomes,
        sum(len(r.runs) for r in records) - len(todo),
        spent_before=_spent(run.judge for _, _, run in todo),
        spent_after=_spent(new.values()),
    )


def _spent(records: Iterable[JudgeRecord | None]) -> tuple[int, float]:
    judged = [r for r in records if r is not None]
    return (
        sum(r.input_tokens + r.output_tokens for r in judged),
        sum(r.cost_usd for r in judged),
    )


def _redacted(record: JudgeRecord, redact: Redactor) -> JudgeRecord:
    """``record`` with secrets of the environment replaced, as a session's judge records are."""
    return dataclasses.replace(
        record,
        reason=redact(record.reason),
        issues=redact(record.issues),
        steps=redact(record.steps),
        raw_excerpt=redact(record.raw_excerpt),
        votes=[_redacted(vote, redact) for vote in record.votes],
    )
