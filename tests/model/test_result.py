"""The Python result API: measures over runs (docs/language.md §11) and the require_* assertions."""

from __future__ import annotations

from math import comb

import pytest

from llm_pytest.api import arun_spec, run_spec
from llm_pytest.dsl.compiler import compile_text
from llm_pytest.errors import UsageError
from llm_pytest.model.result import ItemResult, SpecResult
from llm_pytest.model.trace import JudgeRecord, Outcome, RunTrace, UnclearCause
from tests.spec_support import WriteSpec

FLAKY = """
test: {name: flaky}
steps:
  - tool: store_value
    args: {name: i, value: "${iteration}"}
    check: [result.value != 2]
"""


def result_of(outcomes: list[Outcome]) -> SpecResult:
    """A result over runs of one item with the given outcomes, taking 10, 20, ... ms."""
    (plan,) = compile_text("test: {name: t}\nsteps:\n  - tool: list_values\n", "spec.yaml")
    runs = [
        RunTrace("spec.yaml", "t", None, i + 1, outcome=o, reason=f"run {i + 1} said {o}",
                 duration_ms=float(10 * (i + 1)))
        for i, o in enumerate(outcomes)
    ]  # fmt: skip
    return SpecResult([ItemResult(plan, runs)])


@pytest.mark.anyio
async def test_a_flaky_spec_reports_its_pass_rate_and_pass_k_estimates(
    write_spec: WriteSpec,
) -> None:
    result = await arun_spec(write_spec(FLAKY), iterations=4)
    assert (result.total_runs, result.passed_runs, result.unclear_runs) == (4, 3, 0)
    assert result.pass_rate == result.success_rate == 0.75
    assert result.flaky
    assert result.pass_hat_k(1) == 0.75
    assert result.pass_hat_k(2) == comb(3, 2) / comb(4, 2)
    assert result.pass_hat_k(4) == 0.0
    assert result.pass_at_k(2) == 1.0
    assert result.pass_hat_k(5) is None and result.pass_at_k(5) is None
    assert result.items[0].outcome == "failed"  # min_pass_rate defaults to 1.0
    assert 0 < result.avg_duration_ms <= result.p95_duration_ms


@pytest.mark.anyio
async def test_require_success_lists_the_runs_that_did_not_pass(write_spec: WriteSpec) -> None:
    path = write_spec(FLAKY)
    result = await arun_spec(path, iterations=4)
    result.require_success(threshold=0.75)
    with pytest.raises(AssertionError) as err:
        result.require_success(threshold=0.8, message="quality below 80%")
    assert str(err.value) == (
        "quality below 80%: pass rate 75.0% (3 of 4 runs passed) is below the required "
        f"80.0%\n  - flaky iteration 2: FAIL: step `store_value` (steps[0]) at {path}:3:5 "
        f"failed: check failed at {path}:5:13: result.value != 2  (result.value = 2)"
    )


def test_unclear_runs_are_left_out_of_the_rates() -> None:
    result = result_of(["PASS", "UNCLEAR", "FAIL", "PASS", "PASS"])
    assert (result.total_runs, result.unclear_runs, result.passed_runs) == (5, 1, 3)
    assert result.pass_rate == 0.75
    assert result.pass_hat_k(3) == comb(3, 3) / comb(4, 3)
    assert result.pass_at_k(2) == 1 - comb(1, 2) / comb(4, 2)
    with pytest.raises(AssertionError, match=r"3 of 4 runs passed, 1 UNCLEAR left out"):
        result.require_success()


def test_every_run_passing_is_not_flaky_and_none_passing_is_not_either() -> None:
    assert not result_of(["PASS", "PASS"]).flaky
    assert not result_of(["FAIL", "FAIL"]).flaky
    assert result_of(["FAIL", "PASS"]).flaky


def test_k_must_be_at_least_one() -> None:
    with pytest.raises(UsageError, match="k must be a whole number ≥ 1, got 0"):
        result_of(["PASS"]).pass_hat_k(0)


def test_require_min_runs_says_how_to_get_more_runs() -> None:
    result = result_of(["PASS", "PASS"])
    result.require_min_runs(2)
    result.require_min_runs(min_runs=2)
    with pytest.raises(AssertionError, match=r"^expected at least 3 runs, got 2; raise `iter"):
        result.require_min_runs(3)


def test_require_max_duration_names_the_average_p95_and_slowest_run() -> None:
    result = result_of(["PASS", "PASS", "FAIL", "PASS"])  # 10, 20, 30 and 40 ms
    assert (result.avg_duration_ms, result.p95_duration_ms) == (25.0, 40.0)
    result.require_max_duration(25)
    with pytest.raises(AssertionError) as err:
        result.require_max_duration(max_ms=20)
    assert str(err.value) == (
        "average run duration 25.0 ms exceeds 20 ms (p95 40.0 ms over 4 runs; "
        "slowest: t iteration 4 at 40.0 ms)"
    )


def test_run_spec_runs_its_own_event_loop(write_spec: WriteSpec) -> None:
    result = run_spec(write_spec(FLAKY), iterations=2, concurrency=1)
    assert [r.outcome for r in result.runs] == ["PASS", "FAIL"]


@pytest.mark.anyio
async def test_run_spec_inside_an_event_loop_points_to_arun_spec(write_spec: WriteSpec) -> None:
    with pytest.raises(UsageError, match=r"use `await arun_spec\(\.\.\.\)`"):
        run_spec(write_spec(FLAKY))


@pytest.mark.anyio
async def test_a_concurrency_below_one_is_a_usage_error(write_spec: WriteSpec) -> None:
    with pytest.raises(UsageError, match="concurrency must be a whole number ≥ 1, got 0"):
        await arun_spec(write_spec(FLAKY), concurrency=0)


def _unclear(cause: UnclearCause) -> RunTrace:
    judge = JudgeRecord(verdict="UNCLEAR", reason=f"{cause} here", provider="p", unclear=cause)
    return RunTrace("spec.yaml", "t", None, 9, outcome="UNCLEAR", reason=judge.reason, judge=judge)


@pytest.mark.parametrize(
    ("runs", "skip", "fail"),
    [
        (["no_judge", "no_judge"], "skipped", "failed"),
        (["undecided", "undecided"], "failed", "failed"),
        (["PASS", "undecided"], "passed", "failed"),
        (["PASS", "no_judge"], "passed", "failed"),
        (["PASS", "judge_failed"], "failed", "failed"),
        (["PASS", "PASS"], "passed", "passed"),
    ],
)
def test_an_items_outcome_follows_the_cause_of_its_unclear_runs_and_the_policy(
    runs: list[Outcome | UnclearCause], skip: str, fail: str
) -> None:
    (plan,) = compile_text("test: {name: t}\nsteps:\n  - tool: list_values\n", "spec.yaml")
    traces = [
        RunTrace("spec.yaml", "t", None, 1, outcome="PASS") if r == "PASS" else _unclear(r)
        for r in runs
    ]
    assert ItemResult(plan, traces).outcome == skip
    assert ItemResult(plan, traces, "fail").outcome == fail


def test_require_success_fails_when_the_judge_failed_on_a_run_however_many_passed() -> None:
    result = result_of(["PASS", "PASS", "PASS"])
    result.items[0].runs.append(_unclear("judge_failed"))
    assert result.pass_rate == 1.0
    with pytest.raises(AssertionError, match=r"^the judge failed on 1 of 4 runs\n"):
        result.require_success(0.5)


def test_require_success_fails_on_any_unclear_run_under_the_fail_policy() -> None:
    result = result_of(["PASS", "PASS"])
    result.items[0].runs.append(_unclear("no_judge"))
    result.require_success()
    result.items[0].unclear = "fail"
    with pytest.raises(AssertionError, match="1 of 3 runs were UNCLEAR, and the unclear policy"):
        result.require_success()
