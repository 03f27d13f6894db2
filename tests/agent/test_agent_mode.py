"""Agent mode with a scripted agent: a real MCP client that reads the run's MCP config file,
calls the run's HTTP server and answers with a fixed text. Fast cases of how recorded calls
become a trace; the real Claude Code CLI is exercised in test_agent_mode_claude_cli.py."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from llm_pytest.agent.driver import AgentResult
from llm_pytest.agent.replay import EXTRA_NOTE, TEARDOWN_NOTE
from llm_pytest.agent.run import (
    MAX_AGENT_TIMEOUT,
    THINKING_ALLOWANCE,
    agent_timeout,
    run_agent_iteration,
)
from llm_pytest.agent.server import recording_server
from llm_pytest.dsl.compiler import compile_text
from llm_pytest.errors import ToolError
from llm_pytest.interpreter.runner import RunSettings, interpret
from llm_pytest.model.plan import Plan
from llm_pytest.model.trace import RunTrace
from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import HttpServerConfig
from llm_pytest.tools.plugins.loader import LLMPlugin, plugin_tools
from llm_pytest.tools.registry import ToolContext, ToolRegistry

pytestmark = pytest.mark.anyio

PASS = '{"verdict": "PASS", "reason": "looks right", "steps": [], "issues": []}'
Call = tuple[str, dict[str, Any]]


class Flaky(LLMPlugin):
    """Fails on its first call in a run, then works."""

    name = "flaky"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def poke(self) -> dict[str, Any]:
        """Poke the service."""
        self.calls += 1
        if self.calls == 1:
            raise ToolError("not ready yet")
        return {"ready": True, "calls": self.calls}


class ScriptedAgent:
    """Calls the tools of the run's server in the given order, then answers ``answer``."""

    name = "scripted-agent"

    def __init__(self, calls: Sequence[Call], answer: str = PASS) -> None:
        self.calls = list(calls)
        self.answer = answer
        self.prompt = ""
        self.allowed: list[str] = []
        self.listed: list[str] = []
        self.config: dict[str, Any] = {}

    async def run(
        self,
        prompt: str,
        mcp_config: Path,
        allowed_tools: Sequence[str],
        timeout: float,  # noqa: ASYNC109
        *,
        model: str | None = None,
    ) -> AgentResult:
        self.prompt, self.allowed = prompt, list(allowed_tools)
        self.config = json.loads(await anyio.Path(mcp_config).read_text())
        server = self.config["mcpServers"]["llm_pytest"]
        config = HttpServerConfig("llm_pytest", server["url"], server["headers"])
        async with McpConnections([config]) as connections:
            tools = {t.name.removeprefix("llm_pytest_"): t for t in connections.tools()}
            self.listed = sorted(tools)
            context = ToolContext(env={})
            for name, args in self.calls:
                # The server recorded a failure; a real agent reads it and goes on.
                with contextlib.suppress(ToolError):
                    await tools[name].func(context, args)
        return AgentResult(text=self.answer, input_tokens=11, output_tokens=7, cost_usd=0.002)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def plan_of(text: str, tmp_path: Path) -> Plan:
    [plan] = compile_text(text, str(tmp_path / "test_agent.yaml"))
    return plan


def settings(env: dict[str, str] | None = None) -> RunSettings:
    registry = ToolRegistry([*builtin_tools(), *plugin_tools(Flaky)])
    return RunSettings(registry, env=dict(os.environ) if env is None else env)


async def run(plan: Plan, agent: Any, iteration: int = 1) -> RunTrace:
    s = settings()
    return await run_agent_iteration(plan, s, s.registry, iteration, agent=agent)


async def test_repeat_blocks_expand_and_when_skips_are_not_expected(tmp_path: Path) -> None:
    plan = plan_of(
        """
test: {name: loops, mode: agent}
steps:
  - repeat: 3
    as: i
    steps:
      - tool: store_value
        args: {name: "n${i}", value: "${i}"}
        when: i > 0
        check: result.value == i
""",
        tmp_path,
    )
    agent = ScriptedAgent(
        [("store_value", {"name": "n1", "value": 1}), ("store_value", {"name": "n2", "value": 2})]
    )
    trace = await run(plan, agent)

    assert (trace.outcome, trace.reason) == ("PASS", "looks right")
    block, *inner = trace.steps
    assert block.args == {"count": 3, "as": "i"}
    assert [(s.status, s.loop) for s in inner] == [
        ("skipped", {"i": 0}),
        ("passed", {"i": 1}),
        ("passed", {"i": 2}),
    ]
    assert [s.checks[0].passed for s in inner[1:]] == [True, True]


async def test_calls_after_a_failed_attempt_are_the_step_retries(tmp_path: Path) -> None:
    plan = plan_of(
        """
test: {name: retries, mode: agent}
steps:
  - tool: flaky_poke
    retry: 2
    check: result.ready
""",
        tmp_path,
    )
    trace = await run(plan, ScriptedAgent([("flaky_poke", {}), ("flaky_poke", {})]))

    assert trace.outcome == "PASS"
    [step] = trace.steps
    assert [(a.number, a.ok, a.error) for a in step.attempts] == [
        (1, False, "not ready yet"),
        (2, True, None),
    ]
    assert step.result == {"ready": True, "calls": 2}


async def test_an_until_still_false_after_the_agent_retries_fails_as_the_interpreter_words_it(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        """
test: {name: polling, mode: agent}
steps:
  - tool: store_value
    args: {name: n, value: 1}
    retry: 1
    until: result.value > 5
""",
        tmp_path,
    )
    calls: list[Call] = [("store_value", {"name": "n", "value": v}) for v in (1, 2)]
    trace = await run(plan, ScriptedAgent(calls))

    assert trace.outcome == "FAIL"
    assert trace.reason.endswith(
        "failed: `until: result.value > 5` was still false after 2 attempts"
    )
    [step] = trace.steps
    assert [(a.number, a.ok) for a in step.attempts] == [(1, False), (2, False)]


async def test_a_step_whose_every_attempt_failed_fails_with_the_tool_message(
    tmp_path: Path,
) -> None:
    plan = plan_of("test: {name: once, mode: agent}\nsteps:\n  - tool: flaky_poke\n", tmp_path)
    trace = await run(plan, ScriptedAgent([("flaky_poke", {})]))

    assert trace.outcome == "FAIL"
    assert trace.reason.endswith("failed: not ready yet")


async def test_an_extra_call_is_recorded_with_a_note_and_does_not_fail_the_run(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        """
test: {name: extra, mode: agent}
steps:
  - tool: store_value
    args: {name: k, value: 1}
  - tool: get_value
    args: {name: k}
    check: result.value == 2
""",
        tmp_path,
    )
    calls: list[Call] = [
        ("store_value", {"name": "k", "value": 1}),
        ("store_value", {"name": "k", "value": 2}),
        ("get_value", {"name": "k"}),
    ]
    trace = await run(plan, ScriptedAgent(calls))

    assert trace.outcome == "PASS"
    assert [(s.id, s.status, s.note) for s in trace.steps] == [
        ("steps[0]", "passed", None),
        ("extra1", "passed", EXTRA_NOTE),
        ("steps[1]", "passed", None),
    ]
    assert trace.steps[1].args == {"name": "k", "value": 2}


async def test_a_teardown_the_agent_did_not_call_is_run_after_it(tmp_path: Path) -> None:
    plan = plan_of(
        """
test: {name: cleanup, mode: agent}
steps:
  - tool: store_value
    args: {name: user, value: ada}
    save_as: saved
teardown:
  - tool: store_value
    args: {name: cleaned, value: "${saved.value}"}
    check: result.value == "ada" and stored.user == "ada"
""",
        tmp_path,
    )
    trace = await run(plan, ScriptedAgent([("store_value", {"name": "user", "value": "ada"})]))

    assert trace.outcome == "PASS"
    teardown = trace.steps[-1]
    assert (teardown.phase, teardown.status, teardown.note) == ("teardown", "passed", TEARDOWN_NOTE)
    assert teardown.args == {"name": "cleaned", "value": "ada"}


async def test_a_skipped_teardown_step_polls_with_until_and_retry_as_the_interpreter_does(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        """
test: {name: polling cleanup, mode: agent}
steps:
  - tool: store_value
    args: {name: user, value: ada}
teardown:
  - tool: store_value
    args: {name: gone, value: 1}
    retry: 2
    until: result.value > 5
""",
        tmp_path,
    )
    s = settings()
    interpreted = await interpret(plan, 1, s, s.registry)
    replayed = await run(plan, ScriptedAgent([("store_value", {"name": "user", "value": "ada"})]))

    for trace in (interpreted, replayed):
        assert trace.outcome == "FAIL"
        assert trace.reason.endswith(
            "failed: `until: result.value > 5` was still false after 3 attempts"
        )
        assert [(a.number, a.ok) for a in trace.steps[-1].attempts] == [
            (1, False),
            (2, False),
            (3, False),
        ]
    assert replayed.reason == interpreted.reason
    assert replayed.steps[-1].note == TEARDOWN_NOTE


async def test_a_failing_block_step_reads_as_the_interpreter_words_it(tmp_path: Path) -> None:
    plan = plan_of(
        """
test: {name: bad count, mode: agent}
vars: {times: three}
steps:
  - repeat: vars.times
    steps:
      - tool: list_values
""",
        tmp_path,
    )
    s = settings()
    interpreted = await interpret(plan, 1, s, s.registry)
    replayed = await run(plan, ScriptedAgent([]))

    assert interpreted.outcome == replayed.outcome == "FAIL"
    assert replayed.reason == interpreted.reason
    assert "step `repeat vars.times` (steps[0])" in replayed.reason


async def test_a_tool_error_with_a_hint_reads_as_the_interpreter_words_it(tmp_path: Path) -> None:
    plan = plan_of(
        "test: {name: missing, mode: agent}\nsteps:\n  - tool: read_file\n"
        "    args: {path: nowhere.txt}\n",
        tmp_path,
    )
    s = settings()
    interpreted = await interpret(plan, 1, s, s.registry)
    replayed = await run(plan, ScriptedAgent([("read_file", {"path": "nowhere.txt"})]))

    assert interpreted.outcome == replayed.outcome == "FAIL"
    assert replayed.reason == interpreted.reason
    assert "(relative paths are read from the spec's directory)" in replayed.reason


async def test_arguments_the_server_rejects_fail_the_step_with_its_message(tmp_path: Path) -> None:
    plan = plan_of(
        "test: {name: bad, mode: agent}\nsteps:\n  - tool: get_value\n    args: {name: k}\n",
        tmp_path,
    )
    trace = await run(plan, ScriptedAgent([("get_value", {"nom": "k"})]))

    assert trace.outcome == "FAIL"
    assert "failed: invalid arguments for `get_value`: " in trace.reason
    assert "missing required argument 'name'" in trace.reason


async def test_the_agent_sees_only_the_plan_tools_and_a_private_config(tmp_path: Path) -> None:
    plan = plan_of(
        "test: {name: few, mode: agent}\nsteps:\n  - tool: get_value\n    args: {name: k}\n"
        "  - tool: flaky_poke\n",
        tmp_path,
    )
    agent = ScriptedAgent([("get_value", {"name": "k"})])
    await run(plan, agent)

    assert agent.listed == ["flaky_poke", "get_value"]
    assert agent.allowed == ["mcp__llm_pytest__get_value", "mcp__llm_pytest__flaky_poke"]
    server = agent.config["mcpServers"]["llm_pytest"]
    assert server["type"] == "http"
    assert server["url"].startswith("http://127.0.0.1:")
    assert server["headers"]["Authorization"].startswith("Bearer ")


async def test_each_run_has_its_own_state(tmp_path: Path) -> None:
    plan = plan_of(
        """
test: {name: state, mode: agent}
steps:
  - tool: get_value
    args: {name: mine}
    check: result.found == false
  - tool: store_value
    args: {name: mine, value: "${iteration}"}
""",
        tmp_path,
    )
    traces: list[RunTrace] = []

    async def one(i: int) -> None:
        calls: list[Call] = [
            ("get_value", {"name": "mine"}),
            ("store_value", {"name": "mine", "value": i}),
        ]
        traces.append(await run(plan, ScriptedAgent(calls), iteration=i))

    async with anyio.create_task_group() as tg:
        for i in (1, 2, 3):
            tg.start_soon(one, i)
    assert [t.outcome for t in traces] == ["PASS"] * 3


async def test_the_agent_verdict_decides_when_the_steps_pass(tmp_path: Path) -> None:
    plan = plan_of("test: {name: judged, mode: agent}\nsteps:\n  - tool: list_values\n", tmp_path)
    verdict = '{"verdict": "FAIL", "reason": "the list is empty", "issues": ["empty"]}'
    answer = f"Done.\n```json\n{verdict}\n```"
    trace = await run(plan, ScriptedAgent([("list_values", {})], answer))

    assert (trace.outcome, trace.reason) == ("FAIL", "the list is empty")
    assert trace.judge is not None
    assert (trace.judge.provider, trace.judge.issues) == ("scripted-agent", ["empty"])
    assert (trace.judge.input_tokens, trace.judge.output_tokens) == (11, 7)
    assert trace.failed_step is None


async def test_without_an_agent_the_run_is_unclear_and_nothing_is_called(tmp_path: Path) -> None:
    plan = plan_of("test: {name: none, mode: agent}\nsteps:\n  - tool: list_values\n", tmp_path)
    s = settings(env={"PATH": str(tmp_path)})
    trace = await run_agent_iteration(plan, s, s.registry, 1)

    assert trace.outcome == "UNCLEAR"
    assert trace.reason.startswith("no agent configured: agent mode needs the Claude Code CLI")
    assert [(s.status, s.note) for s in trace.steps] == [("not_run", "no agent ran")]


async def test_vars_that_cannot_be_computed_fail_before_the_agent_starts(tmp_path: Path) -> None:
    plan = plan_of(
        "test: {name: vars, mode: agent}\nvars: {home: '${env.NOT_SET_ANYWHERE}'}\n"
        "steps:\n  - tool: list_values\n",
        tmp_path,
    )
    agent = ScriptedAgent([])
    trace = await run(plan, agent)

    assert trace.outcome == "FAIL"
    assert trace.reason.startswith("cannot compute vars: ")
    assert agent.prompt == ""


async def test_the_server_refuses_a_client_without_the_run_token() -> None:
    registry = ToolRegistry(builtin_tools())
    async with (
        recording_server(registry, ToolContext(env={})) as server,
        httpx.AsyncClient() as client,
    ):
        anonymous = await client.post(server.url, json={})
        wrong = await client.post(server.url, json={}, headers={"Authorization": "Bearer x"})
    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    assert server.calls == []


def test_the_agent_time_limit_sums_step_limits_within_bounds(tmp_path: Path) -> None:
    small = plan_of("test: {name: a, timeout: 1}\nsteps:\n  - tool: list_values\n", tmp_path)
    assert agent_timeout(small) == THINKING_ALLOWANCE + 1
    plan = plan_of(
        """
test: {name: b, timeout: 10}
steps:
  - tool: list_values
    retry: 2
    retry_delay: 5
  - repeat: 4
    steps:
      - tool: list_values
        timeout: 3
""",
        tmp_path,
    )
    assert agent_timeout(plan) == THINKING_ALLOWANCE + (10 * 3 + 5 * 2) + 4 * 3
    huge = plan_of(
        "test: {name: c}\nsteps:\n  - repeat: 1000\n    steps:\n      - tool: list_values\n",
        tmp_path,
    )
    assert agent_timeout(huge) == MAX_AGENT_TIMEOUT


async def test_a_step_whose_tool_is_unknown_fails_with_the_registry_message(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        "test: {name: typo, mode: agent}\nsteps:\n  - tool: list_values\n  - tool: list_valus\n",
        tmp_path,
    )
    agent = ScriptedAgent([("list_values", {})])
    trace = await run(plan, agent)

    assert agent.listed == ["list_values"]
    assert trace.outcome == "FAIL"
    assert "unknown tool `list_valus`" in trace.reason
    assert "did you mean `list_values`?" in trace.reason


async def test_an_agent_call_past_its_steps_time_limit_fails_the_step_with_a_timeout(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        "test: {name: slow, mode: agent}\n"
        "steps:\n  - tool: sleep\n    args: {seconds: 600}\n    timeout: 0.3\n",
        tmp_path,
    )
    with anyio.fail_after(60):
        trace = await run(plan, ScriptedAgent([("sleep", {"seconds": 600})]))

    assert trace.outcome == "FAIL"
    assert trace.reason.endswith("failed: timed out after 0.3s")


EXPECTING = """
test: {name: expected errors, mode: agent}
steps:
  - tool: read_file
    args: {path: nowhere.txt}
    expect_error: file not found
    save_as: missing
    check: [result == null, call.error_type == "ToolError", call.attempts == 1]
  - tool: flaky_poke
    expect_error: {matches: not ready, type: ToolError}
    check: call.error matches "not ready"
  - tool: store_value
    args: {name: why, value: "${missing.error_type}"}
    check: call.text matches "ToolError"
"""


async def test_expected_errors_pass_in_agent_mode_as_in_the_interpreter(tmp_path: Path) -> None:
    plan = plan_of(EXPECTING, tmp_path)
    s = settings()
    interpreted = await interpret(plan, 1, s, s.registry)
    agent = ScriptedAgent(
        [
            ("read_file", {"path": "nowhere.txt"}),
            ("flaky_poke", {}),
            ("store_value", {"name": "why", "value": "ToolError"}),
        ]
    )
    replayed = await run(plan, agent)

    assert interpreted.outcome == replayed.outcome == "PASS", replayed.reason
    for ours, theirs in zip(interpreted.steps, replayed.steps, strict=True):
        assert (ours.status, ours.error, ours.expect_error) == (
            theirs.status,
            theirs.error,
            theirs.expect_error,
        )
        assert [c.values for c in ours.checks] == [c.values for c in theirs.checks]
    assert "expected to fail: with an error matching `file not found`" in agent.prompt


async def test_a_call_that_succeeds_fails_an_expect_error_step_as_the_interpreter_words_it(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        "test: {name: fine, mode: agent}\nsteps:\n  - tool: list_values\n    expect_error: gone\n",
        tmp_path,
    )
    s = settings()
    interpreted = await interpret(plan, 1, s, s.registry)
    replayed = await run(plan, ScriptedAgent([("list_values", {})]))

    assert interpreted.outcome == replayed.outcome == "FAIL"
    assert replayed.reason == interpreted.reason
    assert "expected an error matching `gone`, but the call succeeded" in replayed.reason


async def test_arguments_the_server_rejects_satisfy_neither_expect_error_nor_continue_on_error(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        "test: {name: bad, mode: agent}\nsteps:\n  - tool: get_value\n    args: {name: k}\n"
        "    expect_error: '.'\n    continue_on_error: true\n",
        tmp_path,
    )
    trace = await run(plan, ScriptedAgent([("get_value", {"nom": "k"})]))

    assert trace.outcome == "FAIL"
    assert "failed: invalid arguments for `get_value`: " in trace.reason


async def test_the_agent_prompt_keeps_a_credential_header_the_spec_writes_for_it_to_send(
    tmp_path: Path,
) -> None:
    plan = plan_of(
        """
test: {name: literal header, mode: agent}
steps:
  - tool: http_request
    args:
      method: GET
      url: "http://127.0.0.1:9/users"
      headers: {Authorization: "Bearer literal-abc"}
""",
        tmp_path,
    )
    agent = ScriptedAgent([])
    trace = await run(plan, agent)

    assert '"Authorization": "Bearer literal-abc"' in agent.prompt
    assert "literal-abc" not in json.dumps(trace.to_json())
