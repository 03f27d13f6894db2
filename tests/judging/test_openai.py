"""The ``openai`` provider against a local server speaking the Chat Completions protocol."""

from __future__ import annotations

import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.openai import OpenAIProvider
from llm_pytest.model.judge import VERDICT_SCHEMA

from .fakes.llm_server import Answer, FakeLLMServer, error, openai_completion
from .support import FAIL_JSON, PASS_JSON, judge_once


def judge_for(server: FakeLLMServer, **kwargs: object) -> ProviderJudge:
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="sk-test", retry_base_delay=0.01)
    options: dict[str, object] = {"timeout": 5.0, "max_retries": 2, **kwargs}
    return ProviderJudge(provider, **options)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_request_asks_for_the_verdict_schema_and_the_answer_becomes_the_record(
    server: FakeLLMServer,
) -> None:
    server.script(openai_completion(FAIL_JSON, prompt_tokens=2000, completion_tokens=500))
    record = await judge_once(judge_for(server))

    [sent] = server.received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["model"] == "gpt-4.1-mini"
    system, user = sent.body["messages"]
    assert system["role"] == "system"
    assert user["role"] == "user"
    assert "Create a user" in user["content"]
    assert sent.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True},
    }
    assert record.verdict == "FAIL"
    assert record.reason == "the user is missing"
    assert record.provider == "openai"
    assert record.model == "gpt-4.1-mini-2025-04-14"
    assert (record.input_tokens, record.output_tokens) == (2000, 500)
    # gpt-4.1-mini: $0.40 in, $1.60 out per million tokens
    assert record.cost_usd == pytest.approx(2000 * 0.4e-6 + 500 * 1.6e-6)
    assert record.cached is False


@pytest.mark.anyio
async def test_429_waits_as_long_as_retry_after_says_then_succeeds(
    server: FakeLLMServer,
) -> None:
    server.script(error(429, "slow down", headers={"Retry-After": "0.1"}))
    # The backoff would be 30 s: only honouring Retry-After finishes within fail_after(10).
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="k", retry_base_delay=30)
    record = await judge_once(ProviderJudge(provider, max_retries=2))
    assert record.verdict == "PASS"
    assert len(server.received) == 2


@pytest.mark.anyio
async def test_server_error_is_retried_with_backoff(server: FakeLLMServer) -> None:
    server.script(error(500, "boom"), error(503, "overloaded"))
    record = await judge_once(judge_for(server))
    assert record.verdict == "PASS"
    assert len(server.received) == 3


@pytest.mark.anyio
async def test_retries_are_bounded_and_end_unclear_with_the_last_problem(
    server: FakeLLMServer,
) -> None:
    server.script(*[error(500, "still broken")] * 5)
    record = await judge_once(judge_for(server, max_retries=2))
    assert record.verdict == "UNCLEAR"
    assert "HTTP 500: still broken (3 attempts)" in record.reason
    assert len(server.received) == 3


@pytest.mark.anyio
async def test_a_retry_after_longer_than_we_wait_ends_the_retries_at_once(
    server: FakeLLMServer,
) -> None:
    server.script(error(429, "quota window", headers={"Retry-After": "3600"}))
    record = await judge_once(judge_for(server))
    assert record.verdict == "UNCLEAR"
    assert "asks to retry after 3600s" in record.reason
    assert len(server.received) == 1


@pytest.mark.anyio
async def test_garbage_bodies_are_retried_then_unclear(server: FakeLLMServer) -> None:
    server.script(*[Answer(body=b"<html>proxy error</html>")] * 3)
    record = await judge_once(judge_for(server, max_retries=2))
    assert record.verdict == "UNCLEAR"
    assert "the answer is not JSON" in record.reason
    assert "proxy error" in record.reason


@pytest.mark.anyio
async def test_an_answer_slower_than_the_timeout_is_unclear(server: FakeLLMServer) -> None:
    server.script(Answer(hold=True), Answer(hold=True))
    record = await judge_once(judge_for(server, timeout=0.2, max_retries=1))
    assert record.verdict == "UNCLEAR"
    assert "no answer within 0.2s (2 attempts)" in record.reason


@pytest.mark.anyio
async def test_a_rejected_key_stops_with_one_clear_message(server: FakeLLMServer) -> None:
    server.script(error(401, "Incorrect API key provided"))
    with pytest.raises(ProviderConfigError) as exc:
        await judge_once(judge_for(server))
    assert "rejected the credentials (HTTP 401" in str(exc.value)
    assert "Incorrect API key provided" in str(exc.value)
    assert "OPENAI_API_KEY" in str(exc.value)
    assert len(server.received) == 1


@pytest.mark.anyio
async def test_an_unknown_model_stops_with_one_clear_message(server: FakeLLMServer) -> None:
    server.script(error(404, "The model `gpt-9` does not exist", code="model_not_found"))
    with pytest.raises(ProviderConfigError, match=r"model `gpt-9` does not exist.*--llm-model"):
        await judge_once(judge_for(server, model="gpt-9"))


@pytest.mark.anyio
async def test_exhausted_quota_is_a_configuration_error_not_a_retry(
    server: FakeLLMServer,
) -> None:
    server.script(error(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(ProviderConfigError, match="no quota left"):
        await judge_once(judge_for(server))
    assert len(server.received) == 1


@pytest.mark.anyio
async def test_a_server_without_json_schema_gets_json_mode_and_it_is_remembered(
    server: FakeLLMServer,
) -> None:
    server.script(error(400, "response_format type json_schema is not supported"))
    judge = judge_for(server)
    first = await judge_once(judge)
    second = await judge_once(judge)
    assert (first.verdict, second.verdict) == ("PASS", "PASS")
    formats = [r.body.get("response_format") for r in server.received]
    assert formats == [formats[0], {"type": "json_object"}, {"type": "json_object"}]
    assert formats[0]["type"] == "json_schema"


@pytest.mark.anyio
async def test_a_server_refusing_json_mode_too_gets_a_plain_request(
    server: FakeLLMServer,
) -> None:
    server.script(
        error(400, "Unsupported value: response_format json_schema"),
        error(400, "response_format is not supported by this model"),
    )
    record = await judge_once(judge_for(server))
    assert record.verdict == "PASS"
    assert "response_format" not in server.received[-1].body


@pytest.mark.anyio
async def test_other_bad_requests_are_unclear_and_keep_structured_output(
    server: FakeLLMServer,
) -> None:
    server.script(error(400, "context length exceeded"))
    record = await judge_once(judge_for(server))
    assert record.verdict == "UNCLEAR"
    assert "refused the request (HTTP 400): context length exceeded" in record.reason
    await judge_once(judge_for(server))
    assert server.received[-1].body["response_format"]["type"] == "json_schema"


@pytest.mark.anyio
async def test_an_invalid_answer_is_sent_back_once_for_repair(server: FakeLLMServer) -> None:
    server.script(
        openai_completion("The user exists, so I would say it passes."),
        openai_completion(f"```json\n{PASS_JSON}\n```"),
    )
    record = await judge_once(judge_for(server))
    assert record.verdict == "PASS"
    assert (record.input_tokens, record.output_tokens) == (2000, 200)
    repair = server.received[1].body["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == "The user exists, so I would say it passes."
    assert "not a valid verdict: the answer holds no JSON object" in repair[3]["content"]


@pytest.mark.anyio
async def test_an_answer_still_invalid_after_repair_is_unclear_with_an_excerpt(
    server: FakeLLMServer,
) -> None:
    server.script(
        openai_completion('{"verdict": "MAYBE", "reason": "hm"}'),
        openai_completion('{"verdict": "PASS"}'),
    )
    record = await judge_once(judge_for(server))
    assert record.verdict == "UNCLEAR"
    assert "even after one repair attempt" in record.reason
    assert "'reason' is a required property" in record.reason
    assert record.reason.endswith("""it answered: '{"verdict": "PASS"}'""")
    assert record.raw_excerpt == '{"verdict": "PASS"}'
    assert len(server.received) == 2


@pytest.mark.anyio
async def test_a_refusal_is_unclear(server: FakeLLMServer) -> None:
    server.script(
        Answer(
            body={"choices": [{"message": {"role": "assistant", "content": None, "refusal": "no"}}]}
        )
    )
    record = await judge_once(judge_for(server))
    assert record.verdict == "UNCLEAR"
    assert "the model refused to judge: no" in record.reason


@pytest.mark.anyio
async def test_azure_style_key_header(server: FakeLLMServer) -> None:
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="az", auth_header="api-key")
    await judge_once(ProviderJudge(provider))
    assert server.received[0].headers["api-key"] == "az"
    assert "authorization" not in server.received[0].headers


def test_the_official_api_without_a_key_is_a_configuration_error() -> None:
    with pytest.raises(ProviderConfigError, match="set OPENAI_API_KEY"):
        OpenAIProvider.from_settings({}, {})


def test_a_compatible_server_needs_no_key_and_settings_win_over_the_environment() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}
    assert OpenAIProvider.from_settings({}, env).base_url == "http://127.0.0.1:1/v1"
    settings = {"base_url": "http://127.0.0.1:2/v1/"}
    assert OpenAIProvider.from_settings(settings, env).base_url == "http://127.0.0.1:2/v1"


def test_the_key_variable_can_be_renamed() -> None:
    with pytest.raises(ProviderConfigError, match="set MY_KEY"):
        OpenAIProvider.from_settings({"api_key_env": "MY_KEY"}, {"OPENAI_API_KEY": "x"})
    assert OpenAIProvider.from_settings({"api_key_env": "MY_KEY"}, {"MY_KEY": "x"})
