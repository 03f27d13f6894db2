"""A judge that cannot work at all stops the run with its message instead of an UNCLEAR."""

from __future__ import annotations

import anyio
import pytest

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.errors import ProviderConfigError
from llm_pytest.interpreter.runner import RunSettings, run_plan
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import JudgeRecord, RunTrace
from llm_pytest.runtime.tools import build_registry

SPEC = "test: {name: t}\nsteps:\n  - tool: list_values\n    expect: 'an empty mapping'\n"


class _RejectedKey:
    name = "openai"

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        raise ProviderConfigError("openai rejected the API key (401): set OPENAI_API_KEY")


class _Crashing:
    name = "buggy"

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        raise RuntimeError("boom")


def _run(judge: object) -> list[RunTrace]:
    (plan,) = compile_text(SPEC, "j.yaml")
    settings = RunSettings(build_registry(), judge=judge, env={})  # type: ignore[arg-type]
    return anyio.run(run_plan, plan, settings)


def test_a_judge_configuration_error_propagates_with_its_message() -> None:
    with pytest.raises(ProviderConfigError, match="rejected the API key"):
        _run(_RejectedKey())


def test_any_other_judge_failure_is_unclear_never_a_pass() -> None:
    (trace,) = _run(_Crashing())
    assert trace.outcome == "UNCLEAR"
    assert trace.reason == "the judge failed: RuntimeError: boom"
