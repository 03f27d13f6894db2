"""``run_spec`` and ``pytest --llm`` hand ``mode: agent`` plans to agent mode (the interpreter
itself knows no modes). No agent can run here, so agent mode says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.agent.run import CLAUDE_ENV
from llm_pytest.api import run_spec
from tests.pytest_plugin.plugin_support import run, write

AGENT_SPEC = "test: {name: by an agent, mode: agent}\nsteps:\n  - tool: list_values\n"


@pytest.fixture
def no_agent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing here"))
    monkeypatch.delenv(CLAUDE_ENV, raising=False)


@pytest.mark.usefixtures("no_agent")
def test_run_spec_hands_a_mode_agent_plan_to_the_agent(tmp_path: Path) -> None:
    path = tmp_path / "test_agent.yaml"
    path.write_text(AGENT_SPEC)
    [trace] = run_spec(path).runs

    assert trace.outcome == "UNCLEAR"
    assert trace.reason.startswith("no agent configured: agent mode needs the Claude Code CLI")
    assert [(s.status, s.note) for s in trace.steps] == [("not_run", "no agent ran")]


@pytest.mark.usefixtures("no_agent")
def test_pytest_llm_hands_a_mode_agent_plan_to_the_agent(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_agent.yaml", AGENT_SPEC)
    result = run(pytester, "--llm", "-rs")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED *: no agent configured: agent mode needs the Claude Code CLI*"]
    )
