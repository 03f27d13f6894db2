"""Consensus: one judge asked K times (``judge.votes``, ``--llm-judge-votes``) or several judges
asked once each (``judge.panel``), the majority deciding.

The rules, in order:

- Every vote asked counts. A vote whose judge could not answer (unreachable, timed out, no valid
  verdict) counts as an UNCLEAR vote; it is kept, with its reason, among the votes.
- A verdict wins with more than half of all the votes asked: 2 of 3, 3 of 4, 2 of 2. So a PASS
  needs a majority of every vote asked, not only of the votes that answered.
- No verdict has a majority (a tie such as 1–1, or 1–1–1): the run is UNCLEAR with the reason
  ``judges split 1–1 (1 PASS, 1 FAIL): ...``.
- An UNCLEAR result is the judge's failure (which fails the item, as a single judge's failure
  does) when any vote failed, since that failure may have cost the majority; otherwise the
  judges could not decide (``undecided``), or no judge was configured (``no_judge``) when no
  vote had one.

The record of a consensus holds every vote (``JudgeRecord.votes``, each with its verdict,
reason, tokens and cost), the agreement ratio (``2/3``: the votes for the verdict, or the
largest side of a split, of all votes), and tokens and cost summed over the votes. Votes are
asked concurrently.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import anyio

from llm_pytest.errors import ProviderConfigError
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import JudgeRecord, Outcome, RunTrace, UnclearCause
from llm_pytest.model.verdict import Judge

__all__ = ["MAX_VOTES", "ConsensusJudge", "ballots", "tally"]

MAX_VOTES = 25
"""The most votes one run may ask for (a spec's ``judge.votes`` has the same bound)."""

_ORDER: tuple[Outcome, ...] = ("PASS", "FAIL", "UNCLEAR")


def ballots(spec: JudgePlan, default_votes: int = 1) -> list[JudgePlan]:
    """The single judgements a run's consensus asks for, each a ``JudgePlan`` with its
    ``vote`` number; one plan (the spec itself) when there is no consensus to take.

    A panel member without a provider is judged by the spec's ``judge.provider`` (else the
    session's judge); without a model, by the spec's model when it keeps the spec's provider.
    """
    if spec.panel:
        return [
            dataclasses.replace(
                spec,
                provider=member.provider or spec.provider,
                model=member.model
                or (spec.model if member.provider in (None, spec.provider) else None),
                votes=1,
                panel=(),
                vote=number,
            )
            for number, member in enumerate(spec.panel, 1)
        ]
    k = spec.votes if spec.votes is not None else default_votes
    if k <= 1:
        return [spec]
    return [dataclasses.replace(spec, votes=1, panel=(), vote=number) for number in range(1, k + 1)]


def tally(votes: Sequence[JudgeRecord]) -> JudgeRecord:
    """The consensus of ``votes`` under the module's rules."""
    n = len(votes)
    counts = Counter(vote.verdict for vote in votes)
    winner = next((v for v in _ORDER if counts[v] * 2 > n), None)
    if winner is not None:
        first = next(vote for vote in votes if vote.verdict == winner)
        verdict: Outcome = winner
        agreed = counts[winner]
        reason = f"judges agree {agreed}/{n}: {first.reason}"
        steps, issues = list(first.steps), list(first.issues)
    else:
        verdict, agreed, first = "UNCLEAR", max(counts.values()), None
        sides = sorted(((counts[v], v) for v in _ORDER if counts[v]), key=lambda s: -s[0])
        split = "–".join(str(c) for c, _ in sides)
        tally_text = ", ".join(f"{c} {v}" for c, v in sides)
        said = "; ".join(
            f"{v}: {next(vote.reason for vote in votes if vote.verdict == v)}" for _, v in sides
        )
        reason = f"judges split {split} ({tally_text}): {said}"
        steps, issues = [], _distinct(i for vote in votes for i in vote.issues)
    return JudgeRecord(
        verdict=verdict,
        reason=reason,
        provider=", ".join(_distinct(vote.provider for vote in votes)),
        model=", ".join(_distinct(vote.model for vote in votes if vote.model)) or None,
        steps=steps,
        issues=issues,
        input_tokens=sum(vote.input_tokens for vote in votes),
        output_tokens=sum(vote.output_tokens for vote in votes),
        cost_usd=sum(vote.cost_usd for vote in votes),
        latency_ms=max((vote.latency_ms for vote in votes), default=0.0),
        cached=all(vote.cached for vote in votes),
        unclear=_cause(votes) if verdict == "UNCLEAR" else None,
        votes=list(votes),
        agreement=f"{agreed}/{n}",
    )


class ConsensusJudge:
    """The session's judge, asking ``judge`` once per ballot (see :func:`ballots`) and
    returning the :func:`tally` when a spec (or ``votes``, the session's default) asks for
    more than one judgement; a single judgement is ``judge``'s own record, unchanged."""

    def __init__(self, judge: Judge, votes: int = 1) -> None:
        self.judge = judge
        self.votes = votes
        self.name = str(getattr(judge, "name", type(judge).__name__))

    @property
    def wrapped(self) -> Judge:
        """The judge every run is handed on to."""
        return self.judge

    def around(self, wrap: Callable[[Judge], Judge]) -> ConsensusJudge:
        """The same consensus over ``wrap(judge)``: a wrapper that limits calls in flight then
        limits every vote, not every consensus."""
        return ConsensusJudge(wrap(self.judge), self.votes)

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        asked = ballots(spec, self.votes)
        if len(asked) == 1 and asked[0] is spec:
            return await self.judge(trace, spec)
        records: list[JudgeRecord | None] = [None] * len(asked)
        config_errors: list[ProviderConfigError] = []

        async def vote(index: int, ballot: JudgePlan) -> None:
            try:
                records[index] = await self.judge(trace, ballot)
            except ProviderConfigError as exc:
                config_errors.append(exc)
                group.cancel_scope.cancel()
            except Exception as exc:  # a judge breaking its protocol is a failed vote
                records[index] = JudgeRecord(
                    verdict="UNCLEAR",
                    reason=f"the judge failed: {type(exc).__name__}: {exc}",
                    provider=self.name,
                    unclear="judge_failed",
                )

        async with anyio.create_task_group() as group:
            for index, ballot in enumerate(asked):
                group.start_soon(vote, index, ballot)
        if config_errors:
            raise config_errors[0]
        return tally([r for r in records if r is not None])


def _cause(votes: Sequence[JudgeRecord]) -> UnclearCause:
    if any(vote.unclear == "judge_failed" for vote in votes):
        return "judge_failed"
    if all(vote.unclear == "no_judge" for vote in votes):
        return "no_judge"
    return "undecided"


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
