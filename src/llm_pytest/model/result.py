"""Results of running a spec: per item and for the whole file, with the pass-rate API."""

from __future__ import annotations

from dataclasses import dataclass, field

from llm_pytest._defaults import DEFAULT_UNCLEAR, UnclearPolicy
from llm_pytest.errors import UsageError
from llm_pytest.model.plan import Plan
from llm_pytest.model.stats import ItemStats, item_stats
from llm_pytest.model.trace import RunTrace, UnclearCause

__all__ = ["UNCLEAR_CAUSES", "ItemResult", "SpecResult", "item_outcome", "unclear_cause"]

UNCLEAR_CAUSES: dict[UnclearCause, str] = {
    "no_judge": "no judge configured",
    "judge_failed": "the judge failed",
    "undecided": "the judge could not decide",
}
"""How reports word each cause of an UNCLEAR run."""


def unclear_cause(run: RunTrace) -> UnclearCause | None:
    """Why ``run`` is UNCLEAR (None when it is not): no judge, the judge failed, or the judge
    answered UNCLEAR. A run with no judge record never had a judge (an agent-mode run without
    the agent)."""
    if run.outcome != "UNCLEAR":
        return None
    if run.judge is None:
        return "no_judge"
    return run.judge.unclear or "undecided"


@dataclass
class ItemResult:
    """The runs of one item (a test × experiment) and its outcome under the ``unclear`` policy."""

    plan: Plan
    runs: list[RunTrace]
    unclear: UnclearPolicy = DEFAULT_UNCLEAR

    @property
    def stats(self) -> ItemStats:
        return item_stats(self.runs)

    @property
    def unclear_causes(self) -> list[UnclearCause]:
        """The cause of each UNCLEAR run, in run order."""
        return [c for run in self.runs if (c := unclear_cause(run)) is not None]

    @property
    def unclear_failures(self) -> list[RunTrace]:
        """The UNCLEAR runs that fail the item whatever its pass rate: those its judge failed on,
        and with the ``fail`` policy every one."""
        return [
            run
            for run in self.runs
            if (cause := unclear_cause(run)) == "judge_failed"
            or (cause is not None and self.unclear == "fail")
        ]

    @property
    def outcome(self) -> str:
        """``passed``, ``failed`` or ``skipped``, as pytest will report it.

        With the ``skip`` policy a judge that failed on any run fails the item; runs UNCLEAR for
        want of a judge, or by the judge's own answer, are left out of the pass rate; when no run
        is left the item is skipped if no judge was configured, else failed (the judge decided
        nothing). With ``fail`` any UNCLEAR run fails the item.
        """
        return item_outcome(self.runs, self.plan.min_pass_rate, self.unclear)


def item_outcome(runs: list[RunTrace], min_pass_rate: float, unclear: UnclearPolicy) -> str:
    """The outcome of an item with ``runs`` (see :attr:`ItemResult.outcome`)."""
    causes = [c for run in runs if (c := unclear_cause(run)) is not None]
    if "judge_failed" in causes or (causes and unclear == "fail"):
        return "failed"
    stats = item_stats(runs)
    if stats.judged_runs == 0:
        return "skipped" if all(c == "no_judge" for c in causes) else "failed"
    return "passed" if stats.pass_rate >= min_pass_rate else "failed"


@dataclass
class SpecResult:
    """Every run of every item of a spec file, with the aggregate measures of
    docs/language.md §11."""

    items: list[ItemResult] = field(default_factory=list)

    @property
    def runs(self) -> list[RunTrace]:
        return [run for item in self.items for run in item.runs]

    @property
    def _stats(self) -> ItemStats:
        return item_stats(self.runs)

    @property
    def total_runs(self) -> int:
        return len(self.runs)

    @property
    def passed_runs(self) -> int:
        return self._stats.passed_runs

    @property
    def unclear_runs(self) -> int:
        return self._stats.unclear_runs

    @property
    def pass_rate(self) -> float:
        """PASS runs / runs that are not UNCLEAR (0.0 when every run was UNCLEAR)."""
        return self._stats.pass_rate

    @property
    def success_rate(self) -> float:
        """Alias of :attr:`pass_rate`."""
        return self.pass_rate

    @property
    def flaky(self) -> bool:
        """Some but not all judged runs passed."""
        return self._stats.flaky

    @property
    def avg_duration_ms(self) -> float:
        return self._stats.avg_ms

    @property
    def p95_duration_ms(self) -> float:
        """The 95th percentile of run durations (nearest rank)."""
        return self._stats.p95_ms

    @property
    def total_tokens(self) -> int:
        return sum(r.input_tokens + r.output_tokens for r in self.runs)

    @property
    def total_cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.runs)

    def pass_hat_k(self, k: int) -> float | None:
        """Chance that k fresh runs would all pass (unbiased estimate, UNCLEAR runs left out);
        None when k is more than the judged runs."""
        return self._stats.pass_hat_k(k)

    def pass_at_k(self, k: int) -> float | None:
        """Chance that at least one of k fresh runs would pass; None when k is more than the
        judged runs."""
        return self._stats.pass_at_k(k)

    def require_success(self, threshold: float = 1.0, message: str | None = None) -> None:
        """Raise AssertionError unless the pass rate is at least ``threshold`` (0..1).

        The message lists the runs that did not pass, with their reasons. When every run was
        UNCLEAR there is no pass rate, and that fails too; so does an UNCLEAR run that fails its
        item in pytest (its judge failed, or the ``unclear`` policy is ``fail``).
        """
        __tracebackhide__ = True  # a failure points at the user's test
        if not 0 <= threshold <= 1:
            raise UsageError(f"threshold must be between 0 and 1, got {threshold!r}")
        stats = self._stats
        failures = [run for item in self.items for run in item.unclear_failures]
        if stats.judged_runs and stats.pass_rate >= threshold and not failures:
            return
        judge_failed = sum(unclear_cause(r) == "judge_failed" for r in failures)
        if judge_failed:
            summary = f"the judge failed on {judge_failed} of {stats.total_runs} runs"
        elif failures:
            summary = (
                f"{len(failures)} of {stats.total_runs} runs were UNCLEAR, and the unclear "
                "policy `fail` fails them"
            )
        elif stats.judged_runs == 0:
            summary = f"no run could be judged: all {stats.total_runs} runs were UNCLEAR"
        else:
            unclear = f", {stats.unclear_runs} UNCLEAR left out" if stats.unclear_runs else ""
            summary = (
                f"pass rate {stats.pass_rate:.1%} ({stats.passed_runs} of {stats.judged_runs} "
                f"runs passed{unclear}) is below the required {threshold:.1%}"
            )
        text = f"{summary}{self._failure_detail()}"
        raise AssertionError(f"{message}: {text}" if message else text)

    def require_min_runs(self, n: int | None = None, *, min_runs: int | None = None) -> None:
        """Raise AssertionError unless at least ``n`` runs happened (``min_runs=`` also works)."""
        __tracebackhide__ = True  # a failure points at the user's test
        wanted = n if n is not None else min_runs
        if wanted is None:
            raise UsageError("require_min_runs needs the number of runs, e.g. require_min_runs(5)")
        if self.total_runs < wanted:
            raise AssertionError(
                f"expected at least {wanted} runs, got {self.total_runs}; raise `iterations` "
                "(test.iterations, --llm-iterations or iterations=)"
            )

    def require_max_duration(self, max_ms: float) -> None:
        """Raise AssertionError if the average run took longer than ``max_ms`` milliseconds."""
        __tracebackhide__ = True  # a failure points at the user's test
        if self.avg_duration_ms > max_ms:
            slowest = max(self.runs, key=lambda r: r.duration_ms)
            raise AssertionError(
                f"average run duration {self.avg_duration_ms:.1f} ms exceeds {max_ms:g} ms "
                f"(p95 {self.p95_duration_ms:.1f} ms over {self.total_runs} runs; slowest: "
                f"{_run_name(slowest)} at {slowest.duration_ms:.1f} ms)"
            )

    def _failure_detail(self) -> str:
        lines = [
            f"\n  - {_run_name(r)}: {r.outcome}: {r.reason}"
            for r in self.runs
            if r.outcome != "PASS"
        ]
        shown = lines[:10]
        more = f"\n  ... and {len(lines) - 10} more" if len(lines) > 10 else ""
        return "".join(shown) + more


def _run_name(run: RunTrace) -> str:
    variant = f"[{run.experiment}]" if run.experiment else ""
    return f"{run.test_name}{variant} iteration {run.iteration}"
