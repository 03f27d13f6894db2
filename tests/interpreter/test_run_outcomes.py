"""Run outcomes (docs/language.md §6), the judge interface, concurrent iterations, secret
redaction and the bounded trace of huge runs."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from llm_pytest.api import arun_spec
from llm_pytest.judging.registry import no_judge_reason
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import MAX_DETAILED_STEPS, JudgeRecord, Outcome, RunTrace
from llm_pytest.tools.registry import Tool, ToolContext
from tests.spec_support import LoadPlugins, WriteSpec


class RecordingJudge:
    """A judge that answers a fixed verdict and keeps every trace it was shown."""

    name = "recording"

    def __init__(self, verdict: Outcome = "PASS", reason: str = "looks right") -> None:
        self.verdict: Outcome = verdict
        self.reason = reason
        self.seen: list[RunTrace] = []

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        self.seen.append(trace)
        return JudgeRecord(
            verdict=self.verdict, reason=self.reason, provider=self.name, issues=[self.reason]
        )


class BrokenJudge:
    name = "broken"

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        raise RuntimeError("provider exploded")


JUDGED = """
test: {name: judged}
steps:
  - tool: store_value
    args: {name: user, value: {id: 7}}
    expect: "A user with a numeric id is stored"
    check: [result.value.id == VALUE]
"""


@pytest.mark.anyio
async def test_a_failed_check_is_fail_without_asking_the_judge(write_spec: WriteSpec) -> None:
    judge = RecordingJudge()
    path = write_spec(JUDGED.replace("VALUE", "8"))
    (trace,) = (await arun_spec(path, judge=judge)).runs
    assert trace.outcome == "FAIL"
    assert judge.seen == []
    assert trace.judge is None


@pytest.mark.anyio
async def test_a_spec_without_natural_language_passes_without_the_judge(
    write_spec: WriteSpec,
) -> None:
    judge = RecordingJudge(verdict="FAIL")
    path = write_spec(JUDGED.replace("VALUE", "7").replace('    expect: "A user', "#"))
    (trace,) = (await arun_spec(path, judge=judge)).runs
    assert (trace.outcome, trace.reason) == ("PASS", "all steps and checks passed")
    assert judge.seen == []


@pytest.mark.anyio
async def test_passing_checks_with_expectations_take_the_judges_verdict(
    write_spec: WriteSpec,
) -> None:
    judge = RecordingJudge(verdict="FAIL", reason="the id should be a UUID")
    path = write_spec(JUDGED.replace("VALUE", "7"))
    (trace,) = (await arun_spec(path, judge=judge)).runs
    assert (trace.outcome, trace.reason) == ("FAIL", "the id should be a UUID")
    assert judge.seen == [trace]
    assert trace.judge is not None and trace.judge.provider == "recording"
    assert trace.steps[0].expect == "A user with a numeric id is stored"


@pytest.mark.anyio
async def test_a_verdict_alone_asks_the_judge_and_it_sees_tolerated_failures(
    write_spec: WriteSpec,
) -> None:
    judge = RecordingJudge()
    path = write_spec(
        """
        test: {name: verdict}
        steps:
          - tool: read_file
            args: {path: absent.txt}
            continue_on_error: true
        verdict: {pass_if: "the missing file was reported"}
        """
    )
    (trace,) = (await arun_spec(path, judge=judge)).runs
    assert trace.outcome == "PASS"
    (seen,) = judge.seen
    assert seen.steps[0].status == "failed"
    assert seen.steps[0].error is not None and "file not found" in seen.steps[0].error


@pytest.mark.anyio
async def test_without_a_judge_expectations_are_unclear_and_the_item_is_skipped(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(JUDGED.replace("VALUE", "7"))
    result = await arun_spec(path, iterations=2)
    assert [(r.outcome, r.reason) for r in result.runs] == [("UNCLEAR", no_judge_reason())] * 2
    assert result.items[0].outcome == "skipped"
    with pytest.raises(AssertionError, match="no run could be judged: all 2 runs were UNCLEAR"):
        result.require_success()


@pytest.mark.anyio
async def test_a_judge_that_raises_makes_the_run_unclear_not_a_crash(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(JUDGED.replace("VALUE", "7"))
    (trace,) = (await arun_spec(path, judge=BrokenJudge())).runs
    assert trace.outcome == "UNCLEAR"
    assert trace.reason == "the judge failed: RuntimeError: provider exploded"


class Meeting:
    """A tool where runs meet in pairs: each call waits (bounded) until a partner arrives."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.arrived = 0
        self.pairs: dict[int, anyio.Event] = {}

    async def __call__(self, ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        self.active += 1
        self.most = max(self.most, self.active)
        pair = self.arrived // 2
        self.arrived += 1
        event = self.pairs.setdefault(pair, anyio.Event())
        if self.arrived % 2 == 0:
            event.set()
        try:
            await event.wait()
        finally:
            self.active -= 1
        return {"pair": pair}


@pytest.mark.anyio
async def test_iterations_run_concurrently_up_to_the_concurrency_bound(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    meeting = Meeting()

    async def meet(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        return await meeting(ctx, args)

    tool = Tool("meet", "Waits for a partner run.", {"type": "object"}, meet)
    registry, _ = load_plugins({}, tool)
    path = write_spec("test: {name: pairs}\nsteps:\n  - tool: meet\n    timeout: 10\n")
    result = await arun_spec(path, registry=registry, iterations=6, concurrency=2)
    assert [(r.iteration, r.outcome) for r in result.runs] == [(i, "PASS") for i in range(1, 7)]
    assert meeting.most == 2


@pytest.mark.anyio
async def test_secrets_from_the_environment_are_redacted_everywhere_in_the_trace(
    write_spec: WriteSpec, http_server: str
) -> None:
    key, password = "sk-live-0123456789", "hunter2-hunter2"
    env = {"SERVICE_API_KEY": key, "DB_PASSWORD": password, "PLAIN_SETTING": "visible-value"}
    judge = RecordingJudge(reason=f"the key {key} was accepted")
    path = write_spec(
        f"""
        test: {{name: secrets}}
        steps:
          - tool: store_value
            args: {{name: key, value: "${{env.SERVICE_API_KEY}}"}}
            expect: "the key ${{env.SERVICE_API_KEY}} is stored"
          - tool: http_request
            args:
              method: GET
              url: "{http_server}/echo"
              headers: {{authorization: "Bearer ${{env.SERVICE_API_KEY}}"}}
          - tool: read_file
            args: {{path: "/nonexistent/${{env.DB_PASSWORD}}.txt"}}
            continue_on_error: true
          - tool: store_value
            args: {{name: pw, value: "${{env.DB_PASSWORD}}"}}
            check: [result.value == env.PLAIN_SETTING]
            continue_on_error: true
        """
    )
    lines: list[str] = []
    (trace,) = (await arun_spec(path, env=env, judge=judge, log=lines.append)).runs
    dumped = json.dumps(trace.to_json())
    assert key not in dumped and password not in dumped
    assert key not in "\n".join(lines) and password not in "\n".join(lines)
    store, http, read, check = trace.steps
    assert store.args == {"name": "key", "value": "[REDACTED]"}
    assert store.result == {"stored": "key", "value": "[REDACTED]"}
    assert store.expect == "the key [REDACTED] is stored"
    assert http.result["json"]["headers"]["authorization"] == "[REDACTED]"
    assert read.error is not None and "/nonexistent/[REDACTED].txt" in read.error
    assert check.checks[0].values == [
        ("result.value", '"[REDACTED]"'),
        ("env.PLAIN_SETTING", '"visible-value"'),
    ]
    assert trace.reason == "the key [REDACTED] was accepted"


@pytest.mark.anyio
async def test_a_ten_thousand_step_run_keeps_a_bounded_trace_and_the_failing_step(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: huge}
        steps:
          - repeat: 10000
            steps:
              - tool: store_value
                args: {name: n, value: "${index}"}
                check: [index < 9999]
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert len(trace.steps) == MAX_DETAILED_STEPS + 1
    assert trace.elided_steps == 10_001 - MAX_DETAILED_STEPS - 1
    last = trace.steps[-1]
    assert (last.status, last.loop) == ("failed", {"index": 9999})
    assert (last.args, last.result) == (
        {"name": "n", "value": 9999},
        {"stored": "n", "value": 9999},
    )
    assert trace.failed_step == last.id
    assert trace.steps[0].status == "failed"  # the repeat block, stopped in its last pass
    assert trace.steps[0].note == "stopped in iteration index = 9999 of 10000"
    json.dumps(trace.to_json())


@pytest.mark.anyio
async def test_the_trace_json_is_strict_json_even_with_non_finite_numbers(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(
        {
            "floats.py": """
                from llm_pytest import LLMPlugin

                class Floats(LLMPlugin):
                    name = "floats"

                    def odd(self) -> dict:
                        return {"nan": float("nan"), "inf": float("inf"), "one": 1.5}
            """
        }
    )
    path = write_spec(
        """
        test: {name: floats}
        steps:
          - tool: floats_odd
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    dumped = json.loads(json.dumps(trace.to_json(), allow_nan=False))
    assert dumped["steps"][0]["result"] == {"nan": "nan", "inf": "inf", "one": 1.5}
