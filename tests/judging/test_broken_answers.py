"""Broken judge answers through real provider paths: never a PASS the answer did not give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llm_pytest.judging.claude_code import ClaudeCodeProvider
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.openai import OpenAIProvider

from .fakes.llm_server import FakeLLMServer, openai_completion
from .support import FAIL_JSON, fake_claude, judge_once

pytestmark = pytest.mark.anyio

TRUNCATED = (
    '{"verdict": "FAIL", "reason": "the email is rejected", "analysis": '
    '{"verdict": "PASS", "reason": "the user exists"}, "issues": ["email inval'
)
PROSE = (
    'Had the user been stored I would answer {"verdict": "PASS", "reason": "stored"}. '
    "But the step failed: the user is missing."
)


def openai_judge(server: FakeLLMServer) -> ProviderJudge:
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="sk-test")
    return ProviderJudge(provider, timeout=5.0, max_retries=0)


@pytest.mark.parametrize("answer", [TRUNCATED, PROSE], ids=["truncated", "prose"])
async def test_an_openai_answer_without_one_complete_verdict_is_unclear_after_the_repair(
    server: FakeLLMServer, answer: str
) -> None:
    server.script(openai_completion(answer), openai_completion(answer))
    record = await judge_once(openai_judge(server))
    assert record.verdict == "UNCLEAR"
    assert "not a valid verdict, even after one repair attempt" in record.reason
    assert len(server.received) == 2


async def test_an_openai_answer_repaired_into_one_verdict_gives_that_verdict(
    server: FakeLLMServer,
) -> None:
    server.script(openai_completion(TRUNCATED), openai_completion(FAIL_JSON))
    record = await judge_once(openai_judge(server))
    assert (record.verdict, record.reason) == ("FAIL", "the user is missing")
    [_, repair] = server.received
    *_, sent_back, instruction = repair.body["messages"]
    assert sent_back == {"role": "assistant", "content": TRUNCATED}
    assert "one complete JSON object" in instruction["content"]


@pytest.mark.parametrize("answer", [TRUNCATED, PROSE], ids=["truncated", "prose"])
async def test_a_claude_code_answer_without_one_complete_verdict_is_unclear(
    tmp_path: Path, answer: str
) -> None:
    fake_claude(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
        "FAKE_CLAUDE_MODE": "ok",
        "FAKE_CLAUDE_ANSWER": answer,
    }
    judge = ProviderJudge(ClaudeCodeProvider.from_settings({}, env), timeout=20.0)
    record = await judge_once(judge, within=30)
    assert record.verdict == "UNCLEAR"
    assert "not a valid verdict, even after one repair attempt" in record.reason
