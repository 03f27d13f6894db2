"""`mcp_servers.NAME.sampling: judge`: the session's judge LLM answers a real server's sampling
requests (a stdio test server asking the client's LLM, specs run for real)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_pytest.api import arun_spec
from llm_pytest.dsl.compiler import compile_text
from llm_pytest.judging.claude_code import ClaudeCodeProvider
from llm_pytest.judging.judge import ProviderJudge, make_judge
from llm_pytest.model.trace import RunTrace, SamplingUsage, StepRecord
from llm_pytest.model.verdict import Judge
from tests.judging.fakes.llm_server import FakeLLMServer, openai_completion, serving
from tests.spec_support import WriteSpec

from .support import PROTOCOL_SERVER

pytestmark = pytest.mark.anyio

SPEC = f"""
test: {{name: sampling by the judge}}
mcp_servers:
  proto:
    command: python
    args: ["{PROTOCOL_SERVER}"]
    sampling: judge
steps:
"""

ASK = """  - tool: proto.ask_llm
    args: {question: "Capital of France?"}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with serving() as server:
        yield server


def step(trace: RunTrace, step_id: str = "steps[0]") -> StepRecord:
    return next(s for s in trace.steps if s.id == step_id)


async def run(write_spec: WriteSpec, body: str, judge: Judge | None) -> RunTrace:
    (trace,) = (await arun_spec(write_spec(SPEC + body), judge=judge, plugin_dirs=[])).runs
    return trace


def scripted_judge(tmp_path: Path, script: str) -> Judge:
    path = tmp_path / "judge.yaml"
    path.write_text(script)
    judge, _ = make_judge("scripted", settings={"script": str(path)}, env={})
    return judge


async def test_the_scripted_judge_answers_sampling_from_its_script_in_order(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    judge = scripted_judge(
        tmp_path,
        "sampling:\n  - Paris\n  - {text: Rome, model: tiny-model, input_tokens: 7,"
        " output_tokens: 2, cost_usd: 0.5}\n'*': PASS\n",
    )
    body = (
        ASK
        + """    check:
      - 'result == "the model said: Paris"'
      - call.requests[0].method == "sampling/createMessage"
      - call.requests[0].params.messages[0].content.text == "Capital of France?"
      - call.requests[0].response.content.text == "Paris"
      - call.requests[0].response.model == "scripted"
  - tool: proto.ask_llm
    args: {question: "And of Italy?"}
    check:
      - 'result == "the model said: Rome"'
      - call.requests[0].response.model == "tiny-model"
      - call.requests[0].usage.input_tokens == 7
      - call.requests[0].usage.output_tokens == 2
      - call.requests[0].usage.cost_usd == 0.5
  - tool: proto.ask_llm
    args: {question: "And of Spain?"}
    expect_error: "every `sampling` reply has been used"
"""
    )
    trace = await run(write_spec, body, judge)
    assert trace.outcome == "PASS", trace.reason
    assert "request sampling/createMessage" in (step(trace).note or "")
    # the judge's answers count in the run's judge usage
    assert trace.sampling == SamplingUsage(
        requests=2, input_tokens=7, output_tokens=2, cost_usd=0.5
    )
    assert (trace.input_tokens, trace.output_tokens, trace.cost_usd) == (7, 2, 0.5)


async def test_an_openai_compatible_judge_answers_sampling_over_http(
    write_spec: WriteSpec, llm: FakeLLMServer
) -> None:
    llm.script(openai_completion("Paris, of course", prompt_tokens=30, completion_tokens=4))
    judge, _ = make_judge("openai", settings={"base_url": f"{llm.url}/v1"}, env={})
    body = (
        ASK
        + """    check:
      - 'result == "the model said: Paris, of course"'
      - call.requests[0].response.model == "gpt-4.1-mini-2025-04-14"
      - call.requests[0].response.stop_reason == "endTurn"
      - call.requests[0].usage.input_tokens == 30
      - call.requests[0].usage.output_tokens == 4
      - call.requests[0].usage.cost_usd > 0
"""
    )
    trace = await run(write_spec, body, judge)
    assert trace.outcome == "PASS", trace.reason
    [sent] = llm.received
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"] == [{"role": "user", "content": "Capital of France?"}]
    assert sent.body["max_tokens"] == 50
    assert sent.body["model"] == "gpt-4.1-mini"
    assert "response_format" not in sent.body
    assert (trace.input_tokens, trace.output_tokens) == (30, 4)
    assert trace.cost_usd > 0


async def test_a_judge_that_cannot_be_reached_returns_an_error_to_the_server_and_records_it(
    write_spec: WriteSpec, llm: FakeLLMServer
) -> None:
    llm.server_close()  # nothing listens on the judge's address any more
    provider_settings = {"base_url": f"{llm.url}/v1", "max_retries": "0", "timeout": "2"}
    judge, _ = make_judge("openai", settings=provider_settings, env={})
    body = (
        ASK
        + """    expect_error: "the judge could not answer the sampling request"
    check:
      - '"openai-compatible API" in call.requests[0].error'
      - call.requests[0].response.code == -32603
"""
    )
    trace = await run(write_spec, body, judge)
    assert trace.outcome == "PASS", trace.reason


async def test_without_a_judge_the_step_fails_saying_how_to_configure_one(
    write_spec: WriteSpec,
) -> None:
    trace = await run(write_spec, ASK, None)
    assert trace.outcome == "FAIL"
    error = step(trace).error or ""
    assert "no judge configured: `sampling: judge` needs --llm-provider" in error


async def test_the_offline_judge_fails_the_step_even_when_the_server_carries_on(
    write_spec: WriteSpec,
) -> None:
    judge, _ = make_judge("offline", env={})
    body = """  - tool: proto.ask_llm_or_guess
    args: {question: "Capital of France?"}
"""
    trace = await run(write_spec, body, judge)
    assert trace.outcome == "FAIL"
    assert "no judge configured: `sampling: judge`" in (step(trace).error or "")


async def test_a_judge_without_text_completion_fails_the_step_naming_its_provider(
    write_spec: WriteSpec,
) -> None:
    judge = ProviderJudge(ClaudeCodeProvider(command="claude-not-installed"))
    trace = await run(write_spec, ASK, judge)
    assert trace.outcome == "FAIL"
    assert "the claude-code judge cannot answer sampling requests" in (step(trace).error or "")


def test_sampling_judge_compiles_to_the_judge_mode_and_a_list_of_judge_is_a_scripted_text() -> None:
    (plan,) = compile_text(SPEC + "  - tool: proto.ask_llm\n")
    assert plan.mcp_servers[0].client.sampling == "judge"
    (plan,) = compile_text(
        SPEC.replace("sampling: judge", "sampling: [judge]") + "  - tool: proto.ask_llm\n"
    )
    sampling = plan.mcp_servers[0].client.sampling
    assert not isinstance(sampling, str) and sampling is not None
    assert sampling.answers == ("judge",)


def test_a_sampling_message_that_is_not_text_cannot_be_sent_to_the_judge_and_says_so() -> None:
    from mcp_types import ImageContent, SamplingMessage, TextContent

    from llm_pytest.tools.mcp.features import _sampling_messages

    text = SamplingMessage(role="user", content=[TextContent(text="a"), TextContent(text="b")])
    assert _sampling_messages([text]) == [{"role": "user", "content": "a\nb"}]
    image = SamplingMessage(role="user", content=ImageContent(data="AA==", mime_type="image/png"))
    with pytest.raises(ValueError, match="message 2 has image content"):
        _sampling_messages([text, image])
