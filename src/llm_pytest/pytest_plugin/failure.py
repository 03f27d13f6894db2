"""A failed item in the spec's own terms: for each failing run the step and its spec line, the
interpolated args, an excerpt of the result, the failed check with its values or the judge's
reason and issues; each UNCLEAR run that failed the item with why; then which runs passed."""

from __future__ import annotations

import json
from typing import Any

from llm_pytest.errors import source_line
from llm_pytest.model.jsonsafe import json_safe, safe_text
from llm_pytest.model.result import UNCLEAR_CAUSES, ItemResult, unclear_cause
from llm_pytest.model.trace import CheckRecord, JudgeRecord, Raised, RunTrace, StepRecord
from llm_pytest.reports.findings import finding_step

__all__ = ["render_failure", "skip_reason"]

DETAILED_RUNS = 3
"""Failing runs shown in full; the others get one line each."""
EXCERPT_CHARS = 300


def render_failure(result: ItemResult, *, frames: bool = False) -> str:
    """The failure report of an item that failed: its pass rate is below its ``min_pass_rate``,
    or UNCLEAR runs fail it (its judge failed, or the ``unclear`` policy says so).

    A step failed by an exception of the project's code shows the line that raised it;
    ``frames`` (``--llm-traceback``) adds every frame of its traceback."""
    plan = result.plan
    failing = [r for r in result.runs if r.outcome == "FAIL"]
    unclear = [r for r in result.runs if r.outcome == "UNCLEAR"]
    # With no decided run the UNCLEAR runs are the whole story, whatever their cause.
    against = unclear if result.stats.judged_runs == 0 else result.unclear_failures
    lines = [f"{plan.item_name}: {_why(result, len(against))}", f"spec: {plan.location}"]
    for run in failing[:DETAILED_RUNS]:
        lines.append("")
        lines.extend(_run_lines(run, len(result.runs), frames))
    for run in failing[DETAILED_RUNS:]:
        lines.append(f"run {run.iteration}: FAIL: {run.reason}")
    for run in against[:DETAILED_RUNS]:
        lines.append("")
        lines.extend(_unclear_lines(run, len(result.runs)))
    for run in against[DETAILED_RUNS:]:
        lines.append(f"run {run.iteration}: UNCLEAR: {run.reason}")
    lines.append("")
    passed = [r for r in result.runs if r.outcome == "PASS"]
    which = f" ({'run' if len(passed) == 1 else 'runs'} {_iterations(passed, 'PASS')})"
    lines.append(f"runs passed: {len(passed)} of {len(result.runs)}{which if passed else ''}")
    left_out = [r for r in unclear if all(r is not a for a in against)]
    if left_out:
        # Left out of the pass rate, but a judge that keeps failing to answer is worth seeing.
        lines.append("unclear runs (left out of the pass rate):")
        for run in left_out[:DETAILED_RUNS]:
            lines.append(f"  run {run.iteration}: {run.reason}")
        if len(left_out) > DETAILED_RUNS:
            lines.append(f"  and runs {_iterations(left_out[DETAILED_RUNS:], 'UNCLEAR')}")
    # a lone surrogate in a value would otherwise make pytest print the report as one escaped line
    return safe_text("\n".join(lines))


def _why(result: ItemResult, against: int) -> str:
    stats, n = result.stats, len(result.runs)
    failed = result.unclear_causes.count("judge_failed")
    if failed:
        return f"the judge failed on {failed} of {n} runs, which fails the item"
    if against and result.unclear == "fail":
        return f"{against} of {n} runs UNCLEAR, and --llm-unclear=fail fails them"
    if stats.judged_runs == 0:
        return f"the judge could not decide any of the {n} runs"
    left_out = f"; {stats.unclear_runs} UNCLEAR left out" if stats.unclear_runs else ""
    return (
        f"{stats.passed_runs} of {stats.judged_runs} runs passed (pass rate "
        f"{stats.pass_rate:.0%}, min_pass_rate {result.plan.min_pass_rate:.0%}){left_out}"
    )


def _unclear_lines(run: RunTrace, total: int) -> list[str]:
    cause = unclear_cause(run)
    head = f"run {run.iteration} of {total}: UNCLEAR, {UNCLEAR_CAUSES[cause or 'undecided']}"
    judge = run.judge
    if judge is not None:
        head += f" ({_judge_name(judge)})"
    lines = [head, f"  {run.reason}"]
    if judge is not None and judge.raw_excerpt:
        lines.append(f"  judge's answer: {_excerpt(judge.raw_excerpt)}")
    return lines


def _judge_name(judge: JudgeRecord) -> str:
    model = f" {judge.model}" if judge.model and judge.model != judge.provider else ""
    return f"{judge.provider}{model}"


def skip_reason(result: ItemResult) -> str:
    """Why an item whose runs were all UNCLEAR is skipped."""
    reasons = dict.fromkeys(r.reason for r in result.runs)
    text = "; ".join(reasons)
    n = len(result.runs)
    return safe_text(text if n == 1 else f"all {n} runs UNCLEAR: {text}")


def _iterations(runs: list[RunTrace], outcome: str) -> str:
    numbers = [str(r.iteration) for r in runs if r.outcome == outcome]
    return ", ".join(numbers) if numbers else "none"


def _run_lines(run: RunTrace, total: int, frames: bool) -> list[str]:
    head = f"run {run.iteration} of {total}: FAIL"
    judge = run.judge
    if judge is not None:
        head += f" (judged by {_judge_name(judge)})"
    lines = [head]
    failed = [s for s in run.steps if s.status == "failed" and s.id == run.failed_step]
    if failed:
        lines.extend(_step_lines(failed[0], frames))
    elif judge is None:
        lines.append(f"  {run.reason}")
    if judge is not None:
        lines.append(f"  judge: {judge.reason}")
        for finding in judge.steps:
            if finding.get("ok", True):
                continue
            step = finding_step(finding, run.steps)
            if step is not None:
                lines.extend(_step_lines(step))
                lines.append(f"    judge: {finding.get('finding')}")
            else:
                lines.append(f"  step `{finding.get('name')}`: {finding.get('finding')}")
        if judge.issues:
            lines.append("  issues:")
            lines.extend(f"    - {issue}" for issue in judge.issues)
        if judge.raw_excerpt:
            lines.append(f"  judge's answer: {_excerpt(judge.raw_excerpt)}")
    others = [s for s in run.steps if s.status == "failed" and s.id != run.failed_step]
    for step in others:
        lines.append(f"  also failed (continue_on_error): `{step.label}` at {step.location}")
    return lines


def _step_lines(step: StepRecord, frames: bool = False) -> list[str]:
    tool = f" ({step.tool})" if step.tool and step.tool != step.label else ""
    lines = [f"  step `{step.label}`{tool} at {step.location}"]
    text = source_line(step.location.path, step.location.line)
    if text is not None:
        lines.append(f"    | {text.strip()}")
    if step.loop:
        loop = ", ".join(f"{k} = {v}" for k, v in step.loop.items())
        lines.append(f"    in repeat: {loop}")
    if step.args is not None:
        lines.append(f"    args:   {_excerpt(step.args)}")
    if step.result is not None:
        lines.append(f"    result: {_excerpt(step.result)}")
    failed_checks = [c for c in step.checks if not c.passed]
    if failed_checks:
        lines.extend(_check_lines(failed_checks[0]))
    elif step.error:
        lines.append(f"    error:  {step.error}")
        if step.raised is not None:
            lines.extend(_raised_lines(step.raised, frames))
    if len(step.attempts) > 1:
        lines.append(f"    attempts: {len(step.attempts)}")
    if step.note:
        lines.append(f"    note: {step.note}")
    return lines


def _raised_lines(raised: Raised, frames: bool) -> list[str]:
    if not frames:
        return [f"      | {raised.at.code}"] if raised.at.code else []
    lines = ["    traceback (most recent call last):"]
    for frame in raised.frames:
        lines.append(f"      {frame}")
        if frame.code:
            lines.append(f"        | {frame.code}")
    return lines


def _check_lines(check: CheckRecord) -> list[str]:
    lines = [f"    {check.kind} failed at {check.location}: {check.expression}"]
    lines.extend(f"      {name} = {value}" for name, value in check.values)
    if check.error and "\n" in check.error:  # a snapshot's diff
        lines.extend(f"      {line}" for line in check.error.splitlines())
    elif check.error:  # a schema's error counts the mismatches not listed
        lines.append(f"      {'' if check.kind == 'schema' else 'error: '}{check.error}")
    return lines


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(json_safe(value), ensure_ascii=False)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 3] + "..."
