"""The ``anthropic`` provider against a local server speaking the Messages protocol."""

from __future__ import annotations

import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.anthropic import API_VERSION, AnthropicProvider
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.model.judge import VERDICT_SCHEMA

from .fakes.llm_server import FakeLLMServer, anthropic_message, error
from .support import FAIL_JSON, judge_once


def provider_for(server: FakeLLMServer) -> AnthropicProvider:
    return AnthropicProvider(api_key="sk-ant-test", base_url=server.url, retry_base_delay=0.01)


@pytest.mark.anyio
async def test_request_uses_the_messages_api_with_structured_output(
    server: FakeLLMServer,
) -> None:
    server.script(anthropic_message(FAIL_JSON))
    record = await judge_once(ProviderJudge(provider_for(server)))

    [sent] = server.received
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == API_VERSION
    assert sent.body["model"] == "claude-sonnet-4-5"
    assert sent.body["max_tokens"] == 4096
    assert "judge" in sent.body["system"]
    [message] = sent.body["messages"]
    assert message["role"] == "user"
    assert "The user is stored with the name Alice" in message["content"]
    assert sent.body["output_config"] == {
        "format": {"type": "json_schema", "schema": VERDICT_SCHEMA}
    }
    assert record.verdict == "FAIL"
    assert record.model == "claude-sonnet-4-5-20250929"
    # cached prompt tokens count as input: 900 + 100
    assert (record.input_tokens, record.output_tokens) == (1000, 50)
    assert record.cost_usd == pytest.approx(1000 * 3e-6 + 50 * 15e-6)


@pytest.mark.anyio
async def test_a_server_without_structured_output_gets_a_plain_request_from_then_on(
    server: FakeLLMServer,
) -> None:
    server.script(error(400, "output_config: Extra inputs are not permitted"))
    judge = ProviderJudge(provider_for(server))
    assert (await judge_once(judge)).verdict == "PASS"
    assert (await judge_once(judge)).verdict == "PASS"
    assert ["output_config" in r.body for r in server.received] == [True, False, False]


@pytest.mark.anyio
async def test_overloaded_answers_are_retried(server: FakeLLMServer) -> None:
    server.script(error(529, "Overloaded"))
    record = await judge_once(ProviderJudge(provider_for(server)))
    assert record.verdict == "PASS"
    assert len(server.received) == 2


@pytest.mark.anyio
async def test_a_rejected_key_stops_with_one_clear_message(server: FakeLLMServer) -> None:
    server.script(error(401, "invalid x-api-key"))
    with pytest.raises(
        ProviderConfigError, match=r"HTTP 401.*invalid x-api-key.*ANTHROPIC_API_KEY"
    ):
        await judge_once(ProviderJudge(provider_for(server)))


@pytest.mark.anyio
async def test_a_refusal_is_unclear(server: FakeLLMServer) -> None:
    server.script(anthropic_message("", stop_reason="refusal"))
    record = await judge_once(ProviderJudge(provider_for(server)))
    assert record.verdict == "UNCLEAR"
    assert "refused" in record.reason


def test_a_missing_key_is_a_configuration_error() -> None:
    with pytest.raises(ProviderConfigError, match="set ANTHROPIC_API_KEY"):
        AnthropicProvider.from_settings({}, {})


def test_base_url_and_max_tokens_come_from_settings_and_environment() -> None:
    env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/"}
    provider = AnthropicProvider.from_settings({"max_tokens": "1024"}, env)
    assert provider.base_url == "http://127.0.0.1:9"
    assert provider.max_tokens == 1024
