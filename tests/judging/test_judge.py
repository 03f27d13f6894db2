"""ProviderJudge: one request per run, honest outcomes, usage and cost."""

from __future__ import annotations

import anyio
import pytest

from llm_pytest.errors import ProviderConfigError, ProviderError, UsageError
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.model.judge import VERDICT_SCHEMA, ProviderReply
from llm_pytest.model.trace import JudgeRecord

from .support import PASS_JSON, RecordingProvider, judge_once, make_plan, make_trace


@pytest.mark.anyio
async def test_one_request_per_run_carries_the_prompt_schema_and_limits() -> None:
    provider = RecordingProvider([PASS_JSON])
    record = await judge_once(ProviderJudge(provider, timeout=7, max_retries=1), iteration=2)
    [request] = provider.requests
    assert "Create a user" in request.prompt
    assert request.schema == VERDICT_SCHEMA
    assert (request.timeout, request.max_retries) == (7, 1)
    assert (request.test_name, request.item_name, request.iteration) == (
        "Create user",
        "Create user",
        2,
    )
    assert record.verdict == "PASS"
    assert record.latency_ms > 0


@pytest.mark.anyio
async def test_prose_that_says_pass_is_never_a_pass() -> None:
    provider = RecordingProvider(["PASS", "Verdict: PASS. Everything passed."])
    record = await judge_once(ProviderJudge(provider))
    assert record.verdict == "UNCLEAR"
    assert record.raw_excerpt == "Verdict: PASS. Everything passed."
    assert (record.input_tokens, record.output_tokens) == (2000, 200)


@pytest.mark.anyio
async def test_a_provider_fault_is_unclear_with_its_reason() -> None:
    provider = RecordingProvider([ProviderError("no answer within 5s (4 attempts)")])
    record = await judge_once(ProviderJudge(provider))
    assert record.verdict == "UNCLEAR"
    assert record.reason == "the judge could not answer: no answer within 5s (4 attempts)"
    assert record.provider == "recording"


@pytest.mark.anyio
async def test_a_configuration_error_is_raised_not_recorded() -> None:
    provider = RecordingProvider([ProviderConfigError("bad key")])
    with pytest.raises(ProviderConfigError, match="bad key"):
        await judge_once(ProviderJudge(provider))


@pytest.mark.anyio
async def test_the_model_is_the_option_then_the_spec_then_the_provider_default() -> None:
    provider = RecordingProvider([PASS_JSON])
    spec_model = "judge: {model: gpt-4o}"
    await judge_once(ProviderJudge(provider))
    await judge_once(ProviderJudge(provider), extra=spec_model)
    await judge_once(ProviderJudge(provider, model="gpt-4.1"), extra=spec_model)
    assert [r.model for r in provider.requests] == ["gpt-4.1-mini", "gpt-4o", "gpt-4.1"]


@pytest.mark.anyio
async def test_the_spec_result_budget_wins_over_the_session_default() -> None:
    provider = RecordingProvider([PASS_JSON])
    long_result = {"rows": ["r" * 50] * 10}
    await judge_once(ProviderJudge(provider, max_result_chars=10), result=long_result)
    await judge_once(
        ProviderJudge(provider, max_result_chars=10),
        extra="judge: {max_result_chars: 100}",
        result=long_result,
    )
    notes = [r.prompt.split("[result truncated: ")[1].split("]")[0] for r in provider.requests]
    assert notes[0].startswith("showing the first 10 of")
    assert notes[1].startswith("showing the first 100 of")


@pytest.mark.anyio
async def test_a_reported_cost_wins_else_the_price_table_with_overrides() -> None:
    reported = ProviderReply(PASS_JSON, 1000, 100, cost_usd=0.5, model="gpt-4.1")
    record = await judge_once(ProviderJudge(RecordingProvider([reported])))
    assert record.cost_usd == 0.5
    plain = ProviderReply(PASS_JSON, 1_000_000, 1_000_000, model="gpt-4.1")
    record = await judge_once(ProviderJudge(RecordingProvider([plain])))
    assert record.cost_usd == pytest.approx(10.0)
    prices = {"gpt-4.1": {"input_per_mtok": 1, "output_per_mtok": 1}}
    record = await judge_once(ProviderJudge(RecordingProvider([plain]), prices=prices))
    assert record.cost_usd == pytest.approx(2.0)


@pytest.mark.anyio
async def test_runs_are_judged_concurrently() -> None:
    release = anyio.Event()
    started = 0

    class Gate(RecordingProvider):
        async def judge(self, request):  # type: ignore[no-untyped-def]
            nonlocal started
            started += 1
            if started == 5:
                release.set()
            await release.wait()
            return ProviderReply(PASS_JSON)

    judge = ProviderJudge(Gate([PASS_JSON]))
    plan = make_plan(iterations=5)
    records: list[JudgeRecord] = []

    async def one(i: int) -> None:
        records.append(await judge(make_trace(plan, iteration=i), plan.judge))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for i in range(1, 6):
                tg.start_soon(one, i)
    assert [r.verdict for r in records] == ["PASS"] * 5


def test_a_bad_cache_mode_is_refused_at_once() -> None:
    with pytest.raises(UsageError):
        ProviderJudge(RecordingProvider([PASS_JSON]), cache_mode="sometimes")
