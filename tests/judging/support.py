"""Helpers for the provider tests: small plans and traces, judging one run, a judge that records
requests, and a fake ``claude`` executable."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.model.judge import JudgeRequest, ProviderReply
from llm_pytest.model.plan import Plan
from llm_pytest.model.trace import Attempt, CheckRecord, JudgeRecord, RunTrace, StepRecord
from llm_pytest.model.verdict import Judge

FAKE_CLAUDE = Path(__file__).parent / "fakes" / "fake_claude.py"

SPEC = """
test:
  name: Create user
  description: Creating a user returns it with an id
  iterations: {iterations}
vars:
  expected_name: Alice
steps:
  - name: Create a user
    tool: store_value
    args: {{name: user, value: {{name: Alice}}}}
    save_as: created
    expect: The user is stored with the name ${{vars.expected_name}}
    analyze: Check the stored value carefully.
    check:
      - result.stored == "user"
verdict:
  pass_if: "The user ${{vars.expected_name}} exists"
  fail_if: The user is missing
{extra}
"""

PASS_JSON = '{"verdict": "PASS", "reason": "the user is there", "steps": [], "issues": []}'
FAIL_JSON = '{"verdict": "FAIL", "reason": "the user is missing", "steps": [], "issues": []}'


def make_plan(*, iterations: int = 1, extra: str = "") -> Plan:
    """A compiled plan with one judged step and a verdict; ``extra`` is more top-level YAML."""
    return compile_text(SPEC.format(iterations=iterations, extra=extra))[0]


def make_trace(plan: Plan, *, iteration: int = 1, result: Any = None) -> RunTrace:
    """A finished run of ``plan`` whose step passed its checks, its texts rendered as the
    interpreter renders them."""
    value = {"stored": "user", "value": {"name": "Alice"}} if result is None else result
    step = StepRecord(
        id="steps.0",
        phase="steps",
        kind="tool",
        name="Create a user",
        tool="store_value",
        location=f"{plan.path}:8:5",
        status="passed",
        args={"name": "user", "value": {"name": "Alice"}},
        result=value,
        attempts=[Attempt(1, 1.5, True, result=value)],
        checks=[CheckRecord('result.stored == "user"', True, f"{plan.path}:14:9", [("x", "1")])],
        expect="The user is stored with the name Alice",
        analyze="Check the stored value carefully.",
    )
    return RunTrace(
        plan.path,
        plan.test_name,
        plan.experiment,
        iteration,
        steps=[step],
        verdict={"pass_if": "The user Alice exists", "fail_if": "The user is missing"},
        description=plan.description,
        iterations=plan.iterations,
    )


@dataclass
class RecordingProvider:
    """A provider answering from a list of replies (or exceptions), recording each request."""

    answers: list[ProviderReply | Exception | str]
    name: str = "recording"
    default_model: str | None = "gpt-4.1-mini"
    requests: list[JudgeRequest] = field(default_factory=list)

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, str):
            return ProviderReply(text=answer, input_tokens=1000, output_tokens=100)
        return answer


async def judge_once(
    judge: Judge,
    *,
    extra: str = "",
    iteration: int = 1,
    result: object = None,
    within: float = 10.0,
) -> JudgeRecord:
    """``judge``'s record for one run of the sample plan (bounded by ``within`` seconds)."""
    plan = make_plan(extra=extra)
    with anyio.fail_after(within):
        return await judge(make_trace(plan, iteration=iteration, result=result), plan.judge)


def fake_claude(directory: Path) -> Path:
    """Write ``directory/claude``, which runs the fake CLI with this interpreter."""
    wrapper = directory / "claude"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_CLAUDE}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper
