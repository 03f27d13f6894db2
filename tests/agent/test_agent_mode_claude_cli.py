"""Agent mode with the real Claude Code CLI, talking to a loopback fake of the Anthropic API.

The fake scripts the model's turns; everything else is real: the CLI reads our temporary MCP
config, connects to the run's MCP server over HTTP, calls the tools it is told to, and prints
stream-json that the driver reads. Skipped when the CLI is not installed
(scripts/install-claude-code.sh, or LLM_PYTEST_CLAUDE naming the executable).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from llm_pytest.agent.driver import AgentResult, ClaudeCodeAgent
from llm_pytest.agent.run import run_agent_iteration
from llm_pytest.dsl.compiler import compile_file
from llm_pytest.interpreter.runner import RunSettings
from llm_pytest.model.plan import Plan
from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.mcp.lifecycle import plan_connections
from llm_pytest.tools.plugins.loader import LLMPlugin, plugin_tools
from llm_pytest.tools.registry import ToolRegistry
from tests.judging.support import fake_claude
from tests.process_support import read_pids, running

from .fake_anthropic import FakeAnthropic, Script, Turn

pytestmark = pytest.mark.anyio

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALLED = REPO_ROOT / ".cache" / "claude-code" / "node_modules" / ".bin" / "claude"
CLAUDE_ENV = "LLM_PYTEST_CLAUDE"


def _claude() -> str | None:
    configured = os.environ.get(CLAUDE_ENV)
    if configured:
        return configured
    if INSTALLED.exists():
        return str(INSTALLED)
    return shutil.which("claude")


CLAUDE = _claude()
needs_claude = pytest.mark.skipif(
    CLAUDE is None,
    reason="the Claude Code CLI is not installed: run scripts/install-claude-code.sh "
    f"(or set {CLAUDE_ENV} to a `claude` executable)",
)

SPEC = """\
test:
  name: "Agent keeps a user"
  mode: agent
  timeout: 20
steps:
  - name: "Store the user"
    tool: store_value
    args: {name: user, value: {name: "Ada", id: 7}}
    save_as: saved
  - name: "Read the user back"
    tool: get_value
    args: {name: user}
    check:
      - result.found == true
      - result.value.id == 7
  - name: "Greet the user"
    tool: greeter_greet
    args: {name: "${saved.value.name}"}
    check: result.greeting == "Hello, Ada"
    expect: "A friendly greeting that names Ada"
"""

STORE = ("store_value", {"name": "user", "value": {"name": "Ada", "id": 7}})
READ = ("get_value", {"name": "user"})
GREET = ("greeter_greet", {"name": "Ada"})
PASS = json.dumps(
    {
        "verdict": "PASS",
        "reason": "Ada was stored, read back and greeted by name",
        "steps": [{"name": "Greet the user", "ok": True, "finding": "Hello, Ada"}],
        "issues": [],
    }
)


class Greeter(LLMPlugin):
    name = "greeter"

    async def greet(self, name: str) -> dict[str, Any]:
        """Greet someone by name."""
        return {"greeting": f"Hello, {name}", "length": len(name)}


class KeptResult:
    """A ClaudeCodeAgent that keeps what the CLI printed, to compare with our server's record."""

    def __init__(self, agent: ClaudeCodeAgent) -> None:
        self.agent = agent
        self.name = agent.name
        self.result: AgentResult | None = None

    async def run(
        self,
        prompt: str,
        mcp_config: Path,
        allowed_tools: Sequence[str],
        timeout: float,  # noqa: ASYNC109
        *,
        model: str | None = None,
    ) -> AgentResult:
        self.result = await self.agent.run(prompt, mcp_config, allowed_tools, timeout, model=model)
        return self.result


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    spec = tmp_path / "test_agent.yaml"
    spec.write_text(SPEC)
    [compiled] = compile_file(spec)
    return compiled


def registry() -> ToolRegistry:
    return ToolRegistry([*builtin_tools(), *plugin_tools(Greeter)])


async def run_with_cli(
    plan: Plan, script: Script, tmp_path: Path, *, max_turns: int | None = None
) -> tuple[Any, FakeAnthropic, KeptResult]:
    assert CLAUDE is not None
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    with FakeAnthropic(script) as api:
        env = api.cli_env(home, dict(os.environ))
        agent = KeptResult(ClaudeCodeAgent(CLAUDE, env=env, max_turns=max_turns))
        settings = RunSettings(registry(), env=dict(os.environ))
        trace = await run_agent_iteration(plan, settings, settings.registry, 1, agent=agent)
    return trace, api, agent


def tool_uses(result: AgentResult | None) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls the CLI reports having made, in order."""
    assert result is not None
    return [
        (block["name"], block["input"])
        for event in result.events
        if event.get("type") == "assistant"
        for block in event["message"]["content"]
        if block.get("type") == "tool_use"
    ]


@needs_claude
async def test_the_cli_runs_the_plan_through_our_server_and_its_verdict_decides(
    plan: Plan, tmp_path: Path
) -> None:
    script = [Turn.calls(STORE), Turn.calls(READ), Turn.calls(GREET), Turn.say(PASS)]
    trace, api, agent = await run_with_cli(plan, script, tmp_path)

    assert (trace.outcome, trace.reason) == (
        "PASS",
        "Ada was stored, read back and greeted by name",
    )
    store, read, greet = trace.steps
    assert [s.status for s in trace.steps] == ["passed", "passed", "passed"]
    assert store.args == STORE[1]
    assert read.result == {"name": "user", "value": {"name": "Ada", "id": 7}, "found": True}
    assert [(c.expression, c.passed) for c in read.checks] == [
        ("result.found == true", True),
        ("result.value.id == 7", True),
    ]
    assert greet.result == {"greeting": "Hello, Ada", "length": 3}
    assert greet.expect == "A friendly greeting that names Ada"
    # What our server recorded is what the CLI says it called, and what the model got back.
    assert tool_uses(agent.result) == [
        (f"mcp__llm_pytest__{name}", args) for name, args in (STORE, READ, GREET)
    ]
    assert [json.loads(r["content"]) for r in api.tool_results()] == [
        store.result,
        read.result,
        greet.result,
    ]
    # Only the plan's tools were offered, and the prompt carried the plan.
    assert sorted(api.offered_tools()) == [
        "mcp__llm_pytest__get_value",
        "mcp__llm_pytest__greeter_greet",
        "mcp__llm_pytest__store_value",
    ]
    assert "call `mcp__llm_pytest__greeter_greet`" in api.prompt()
    assert '`{"name": "${saved.value.name}"}`' in api.prompt()
    judge = trace.judge
    assert judge is not None
    assert (judge.provider, judge.verdict) == ("claude-code", "PASS")
    assert judge.steps == [{"name": "Greet the user", "ok": True, "finding": "Hello, Ada"}]
    assert judge.input_tokens == 4 * 120
    assert judge.output_tokens == 4 * 30
    assert judge.cost_usd > 0


@needs_claude
async def test_a_step_the_agent_skips_fails_the_run(plan: Plan, tmp_path: Path) -> None:
    script = [Turn.calls(STORE), Turn.calls(GREET), Turn.say(PASS)]
    trace, _, _ = await run_with_cli(plan, script, tmp_path)

    assert trace.outcome == "FAIL"
    assert trace.reason.startswith("step `Read the user back` (steps[1]) at ")
    assert trace.reason.endswith("failed: the agent never called `get_value`")
    assert [s.status for s in trace.steps] == ["passed", "failed", "passed"]
    assert trace.failed_step == "steps[1]"


@needs_claude
async def test_an_answer_without_a_verdict_is_unclear(plan: Plan, tmp_path: Path) -> None:
    script = [Turn.calls(STORE), Turn.calls(READ), Turn.calls(GREET), Turn.say("All good!")]
    trace, _, _ = await run_with_cli(plan, script, tmp_path)

    assert trace.outcome == "UNCLEAR"
    assert (
        trace.reason == "the agent's answer holds no valid verdict: the answer holds no JSON object"
    )
    assert [s.status for s in trace.steps] == ["passed", "passed", "passed"]
    assert trace.judge is not None
    assert trace.judge.raw_excerpt == "All good!"


@needs_claude
async def test_a_check_fails_on_the_result_the_agent_got(plan: Plan, tmp_path: Path) -> None:
    wrong = ("store_value", {"name": "user", "value": {"name": "Ada", "id": 8}})
    script = [Turn.calls(wrong), Turn.calls(READ), Turn.calls(GREET), Turn.say(PASS)]
    trace, _, _ = await run_with_cli(plan, script, tmp_path)

    assert trace.outcome == "FAIL"
    assert "failed: check failed at " in trace.reason
    assert trace.reason.endswith(": result.value.id == 7  (result.value.id = 8)")
    store, read, _ = trace.steps
    assert store.note is not None
    assert store.note.startswith("the agent's arguments differ from the plan's")
    assert [c.passed for c in read.checks] == [True, False]


@needs_claude
async def test_calls_made_at_once_in_one_turn_are_matched_in_order(
    plan: Plan, tmp_path: Path
) -> None:
    script = [Turn.calls(STORE), Turn.calls(READ, GREET), Turn.say(PASS)]
    trace, _, _ = await run_with_cli(plan, script, tmp_path)

    assert trace.outcome == "PASS"
    assert [s.status for s in trace.steps] == ["passed", "passed", "passed"]


@needs_claude
async def test_an_agent_out_of_turns_is_unclear_and_what_it_did_is_kept(
    plan: Plan, tmp_path: Path
) -> None:
    script = [Turn.calls(STORE), Turn.calls(READ), Turn.calls(GREET), Turn.say(PASS)]
    trace, _, _ = await run_with_cli(plan, script, tmp_path, max_turns=1)

    assert trace.outcome == "UNCLEAR"
    assert trace.reason.startswith(
        "the agent did not finish: the agent ended with `error_max_turns`"
    )
    assert [s.status for s in trace.steps] == ["passed", "not_run", "not_run"]
    assert trace.steps[1].note == "the agent stopped before calling it"


HANGING_CLI = """\
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open({pids!r}, "w") as f:
    f.write(f"{{child.pid}}\\n")
time.sleep(600)
"""


async def test_an_agent_that_hangs_is_killed_with_its_children_at_the_time_limit(
    plan: Plan, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    script = tmp_path / "claude"
    script.write_text(f"#!{sys.executable}\n" + HANGING_CLI.format(pids=str(pids)))
    script.chmod(0o755)
    settings = RunSettings(registry(), env=dict(os.environ))
    agent = ClaudeCodeAgent(str(script), env=dict(os.environ))

    trace = await run_agent_iteration(plan, settings, settings.registry, 1, agent=agent, timeout=2)

    assert trace.outcome == "UNCLEAR"
    assert trace.reason == (
        "the agent did not finish: the agent gave no result within 2s "
        "(its process group was killed)"
    )
    [child] = read_pids(pids)
    assert not running(child)
    assert [s.note for s in trace.steps] == ["the agent stopped before calling it"] * 3


def test_the_agent_command_line_follows_the_documented_call() -> None:
    agent = ClaudeCodeAgent("claude", env={}, max_turns=5)
    argv = agent.argv(Path("/tmp/c.json"), ["mcp__llm_pytest__a", "mcp__llm_pytest__b"], "m")
    assert argv == [
        *["claude", "-p", "--output-format", "stream-json", "--verbose"],
        *["--mcp-config", "/tmp/c.json", "--strict-mcp-config"],
        *["--allowedTools", "mcp__llm_pytest__a,mcp__llm_pytest__b"],
        *["--tools", "", "--no-session-persistence", "--model", "m", "--max-turns", "5"],
    ]


async def test_the_agent_prompt_goes_to_stdin_and_never_on_the_command_line(
    tmp_path: Path,
) -> None:
    # Every user of the machine can read a command line (`ps`); the prompt holds spec values.
    argv_file, prompt_file = tmp_path / "argv.json", tmp_path / "prompt.txt"
    env = {
        **os.environ,
        "FAKE_CLAUDE_ARGV": str(argv_file),
        "FAKE_CLAUDE_PROMPT": str(prompt_file),
    }
    agent = ClaudeCodeAgent(str(fake_claude(tmp_path)), env=env)
    prompt = "Run the steps; the value is value-only-in-the-prompt"

    result = await agent.run(prompt, tmp_path / "mcp.json", ["mcp__llm_pytest__a"], 30)

    assert result.error is None
    assert prompt_file.read_text() == prompt
    assert "value-only-in-the-prompt" not in argv_file.read_text()


EXAMPLE = REPO_ROOT / "spec-examples" / "valid" / "test_agent_mode.yaml"


@needs_claude
async def test_the_agent_mode_example_reaches_the_tools_of_its_mcp_server(tmp_path: Path) -> None:
    [plan] = compile_file(EXAMPLE)
    note = {"title": "release checklist", "body": "tag, build, publish"}
    script = [
        Turn.calls(("notes_add_note", note)),
        Turn.calls(("store_value", {"name": "note_id", "value": 1})),
        Turn.calls(("notes_get_note", {"id": 1})),
        Turn.calls(("notes_list_notes", {})),
        Turn.say(PASS),
    ]
    assert CLAUDE is not None
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ)
    async with plan_connections(plan, env) as servers:
        tools, unavailable = servers.tools, servers.unavailable
        assert unavailable == {}
        registry = ToolRegistry([*builtin_tools(), *tools])
        with FakeAnthropic(script) as api:
            agent = ClaudeCodeAgent(CLAUDE, env=api.cli_env(home, env))
            trace = await run_agent_iteration(
                plan, RunSettings(registry, env=env), registry, 1, agent=agent
            )

    assert trace.outcome == "PASS", trace.reason
    filed, _, found, listed = trace.steps
    assert filed.result == {"id": 1, **note}
    assert [c.passed for c in found.checks] == [True]
    assert listed.result == [{"id": 1, **note}]
    assert sorted(api.offered_tools()) == [
        "mcp__llm_pytest__notes_add_note",
        "mcp__llm_pytest__notes_get_note",
        "mcp__llm_pytest__notes_list_notes",
        "mcp__llm_pytest__store_value",
    ]
