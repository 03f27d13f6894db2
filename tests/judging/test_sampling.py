"""Providers completing text for MCP sampling (``sampling: judge``), and the session judge's
sampler that asks them."""

from __future__ import annotations

from typing import Any

import pytest

from llm_pytest.errors import ProviderConfigError, ProviderError
from llm_pytest.judging.anthropic import AnthropicProvider
from llm_pytest.judging.consensus import ConsensusJudge
from llm_pytest.judging.judge import ProviderJudge, SessionJudge, make_judge
from llm_pytest.judging.offline import OfflineProvider
from llm_pytest.judging.openai import OpenAIProvider
from llm_pytest.judging.sampling import JudgeSampler, provider_judge
from llm_pytest.judging.scripted import ScriptedProvider
from llm_pytest.model.judge import CompletionRequest, JudgeRequest
from llm_pytest.tools.mcp.sampling import SamplingUnavailable

from .fakes.llm_server import FakeLLMServer, anthropic_message, openai_completion

pytestmark = pytest.mark.anyio

ASKED = CompletionRequest(
    messages=({"role": "user", "content": "Capital of France?"},),
    system="Answer in one word.",
    max_tokens=20,
    temperature=0.2,
    stop_sequences=("\n",),
    max_retries=0,
)


async def test_openai_completes_with_a_plain_chat_request_and_maps_the_stop_reason(
    server: FakeLLMServer,
) -> None:
    answer = openai_completion("Paris", prompt_tokens=12, completion_tokens=1)
    answer.body["choices"][0]["finish_reason"] = "length"
    server.script(answer)
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="sk-test")
    reply = await provider.complete(ASKED)
    [sent] = server.received
    assert sent.body == {
        "model": "gpt-4.1-mini",
        "messages": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Capital of France?"},
        ],
        "max_tokens": 20,
        "temperature": 0.2,
        "stop": ["\n"],
    }
    assert (reply.text, reply.input_tokens, reply.output_tokens) == ("Paris", 12, 1)
    assert reply.stop_reason == "maxTokens"


async def test_anthropic_completes_with_a_plain_message_and_maps_the_stop_reason(
    server: FakeLLMServer,
) -> None:
    server.script(anthropic_message("Paris", stop_reason="stop_sequence"))
    provider = AnthropicProvider(api_key="sk-ant-test", base_url=server.url)
    reply = await provider.complete(ASKED)
    [sent] = server.received
    assert sent.path == "/v1/messages"
    assert sent.body == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 20,
        "system": "Answer in one word.",
        "messages": [{"role": "user", "content": "Capital of France?"}],
        "temperature": 0.2,
        "stop_sequences": ["\n"],
    }
    assert (reply.text, reply.input_tokens, reply.output_tokens) == ("Paris", 1000, 50)
    assert reply.stop_reason == "stopSequence"


async def test_the_scripted_provider_hands_out_its_sampling_list_in_order_then_runs_out() -> None:
    provider = ScriptedProvider({"sampling": ["Paris", {"text": "Rome", "output_tokens": 3}]})
    assert (await provider.complete(ASKED)).text == "Paris"
    second = await provider.complete(ASKED)
    assert (second.text, second.output_tokens) == ("Rome", 3)
    with pytest.raises(ProviderError, match=r"every `sampling` reply has been used \(2 entries\)"):
        await provider.complete(ASKED)


async def test_one_scripted_sampling_text_answers_every_request_and_verdicts_still_work() -> None:
    provider = ScriptedProvider({"sampling": "yes", "*": "PASS"})
    assert [(await provider.complete(ASKED)).text for _ in range(3)] == ["yes"] * 3
    verdict = await provider.judge(JudgeRequest(system="", prompt="", test_name="any"))
    assert '"PASS"' in verdict.text


async def test_a_script_without_sampling_replies_says_how_to_add_them() -> None:
    with pytest.raises(ProviderConfigError, match="has no `sampling` replies"):
        await ScriptedProvider(["PASS"]).complete(ASKED)


def test_a_bad_scripted_sampling_reply_is_reported_where_it_is() -> None:
    with pytest.raises(ProviderConfigError, match=r"the script, `sampling`\[1\]: a sampling reply"):
        ScriptedProvider({"sampling": ["ok", 42]})


async def test_a_script_function_answers_sampling_from_the_completion_request() -> None:
    def script(request: Any) -> str:
        return f"echo: {request.messages[-1]['content']}"

    reply = await ScriptedProvider(script).complete(ASKED)
    assert reply.text == "echo: Capital of France?"


async def test_the_offline_provider_refuses_to_complete_saying_how_to_choose_a_judge() -> None:
    with pytest.raises(ProviderConfigError, match="no judge configured: `sampling: judge` needs"):
        await OfflineProvider("no judge").complete(ASKED)


async def test_the_sampler_finds_the_provider_through_the_session_judge_wrappers() -> None:
    inner = ProviderJudge(ScriptedProvider({"sampling": "hi"}))
    judge = ConsensusJudge(SessionJudge("scripted", inner, _none))
    assert isinstance(provider_judge(judge), ProviderJudge)
    sampled = await JudgeSampler(judge).answer(
        [{"role": "user", "content": "hello"}], system_prompt=None, max_tokens=5
    )
    assert (sampled.text, sampled.model, sampled.stop_reason) == ("hi", "scripted", "endTurn")


async def test_the_sampler_prices_a_reply_by_its_model_when_the_provider_gives_no_cost(
    server: FakeLLMServer,
) -> None:
    server.script(openai_completion("Paris", prompt_tokens=2000, completion_tokens=500))
    judge = ProviderJudge(OpenAIProvider(base_url=f"{server.url}/v1", api_key="k"))
    sampled = await JudgeSampler(judge).answer(
        [{"role": "user", "content": "Capital?"}], system_prompt=None, max_tokens=5
    )
    # gpt-4.1-mini: $0.40 in, $1.60 out per million tokens
    assert sampled.cost_usd == pytest.approx(2000 * 0.4e-6 + 500 * 1.6e-6)


async def test_an_offline_session_cannot_sample_and_says_so() -> None:
    judge, _ = make_judge("offline", env={})
    with pytest.raises(SamplingUnavailable, match="no judge configured"):
        await JudgeSampler(judge).answer([], system_prompt=None, max_tokens=5)


def _none(name: str) -> Any:
    raise AssertionError(name)


def test_the_sampler_finds_the_provider_under_the_pytest_sessions_limit_and_guard() -> None:
    from llm_pytest.pytest_plugin.context import _JudgeGuard, _JudgeLimit

    inner = ProviderJudge(ScriptedProvider({"sampling": "hi"}))
    session = ConsensusJudge(SessionJudge("scripted", inner, _none))
    judge = _JudgeGuard(session.around(lambda j: _JudgeLimit(j, 2)))
    assert provider_judge(judge) is inner
