"""The agent of agent mode: an LLM that calls our MCP server's tools and returns a verdict.

:class:`AgentDriver` is the one-method interface; :class:`ClaudeCodeAgent` drives the Claude
Code CLI::

    claude -p --output-format stream-json --verbose --mcp-config FILE --strict-mcp-config
        --allowedTools mcp__llm_pytest__a,mcp__llm_pytest__b --tools "" --no-session-persistence
        [--model M] [--max-turns N]

The prompt goes to standard input, never on the command line (it holds the spec's values, and
a command line is visible to every user of the machine); it is written in full and stdin is
closed (an open stdin makes the CLI wait). The CLI's built-in tools are switched
off (``--tools ""``), so the agent can only use ours; ``ENABLE_TOOL_SEARCH=false`` makes the CLI
send our tools' schemas up front. The process leads its own process group, which is killed when
the run ends, and at once when it times out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from llm_pytest._process import Finished, run_in_own_group
from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.claude_code import StreamOutcome, parse_stream, result_usage

__all__ = ["AgentDriver", "AgentResult", "ClaudeCodeAgent", "result_from_stream"]

INSTALL_HINT = (
    "install Claude Code (npm install -g @anthropic-ai/claude-code) and log in once, "
    "or point LLM_PYTEST_CLAUDE at its `claude` executable"
)
_TAIL = 1500


@dataclass
class AgentResult:
    """How an agent run ended: its final text, what it used, and every event it printed."""

    text: str
    """The agent's final answer ("" when it gave none)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    """Why the agent did not finish normally (timeout, crash, error result, turn limit)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None
    permission_denials: list[str] = field(default_factory=list)
    """The tools the agent tried to call but was not allowed to."""


class AgentDriver(Protocol):
    """Runs one agent: ``prompt`` in, the agent's answer out. Raises ProviderConfigError when
    the agent cannot run at all (missing program); every other failure is ``result.error``."""

    name: str

    async def run(
        self,
        prompt: str,
        mcp_config: Path,
        allowed_tools: Sequence[str],
        timeout: float,  # noqa: ASYNC109 - the agent's whole run, enforced on its process group
        *,
        model: str | None = None,
    ) -> AgentResult: ...


class ClaudeCodeAgent:
    """The Claude Code CLI as the agent (its own login and default model unless ``model``)."""

    name = "claude-code"

    def __init__(
        self,
        command: str = "claude",
        *,
        env: Mapping[str, str] | None = None,
        max_turns: int | None = None,
    ) -> None:
        self.command = command
        self.env = dict(os.environ if env is None else env)
        self.max_turns = max_turns

    def argv(self, mcp_config: Path, allowed_tools: Sequence[str], model: str | None) -> list[str]:
        """The command line; the prompt goes to stdin."""
        argv = [self.command, "-p", "--output-format", "stream-json", "--verbose"]
        argv += ["--mcp-config", str(mcp_config), "--strict-mcp-config"]
        argv += ["--allowedTools", ",".join(allowed_tools)]
        argv += ["--tools", "", "--no-session-persistence"]
        if model:
            argv += ["--model", model]
        if self.max_turns is not None:
            argv += ["--max-turns", str(self.max_turns)]
        return argv

    async def run(
        self,
        prompt: str,
        mcp_config: Path,
        allowed_tools: Sequence[str],
        timeout: float,  # noqa: ASYNC109
        *,
        model: str | None = None,
    ) -> AgentResult:
        argv = self.argv(mcp_config, allowed_tools, model)
        env = {**self.env, "ENABLE_TOOL_SEARCH": "false"}
        # A folder of its own: the CLI must not pick up a project's CLAUDE.md or settings.
        with tempfile.TemporaryDirectory(prefix="llm_pytest_agent_cwd_") as cwd:
            try:
                run = await run_in_own_group(
                    argv,
                    timeout=timeout,
                    stdin=prompt.encode(),
                    cwd=cwd,
                    env=env,
                    # Nothing the CLI started (its MCP servers, its tools' children) may
                    # outlive the run or hold its output open after it exits.
                    leftovers="kill_at_exit",
                )
            except OSError as exc:
                raise ProviderConfigError(
                    f"agent mode cannot run `{self.command}` ({exc.strerror or exc}): "
                    + INSTALL_HINT
                ) from None
        return _result(run, timeout)


def _result(run: Finished, limit: float) -> AgentResult:
    stream = parse_stream(run.stdout.decode("utf-8", "replace"))
    result = result_from_stream(stream)
    err = _tail(run.stderr.decode("utf-8", "replace"))
    if run.exit_code is None:
        result.error = f"the agent gave no result within {limit:g}s (its process group was killed)"
    elif result.error is None and stream.result is None:
        result.error = f"the agent exited with code {run.exit_code} without a result" + (
            f"; stderr: {err}" if err else ""
        )
    return result


def result_from_stream(stream: StreamOutcome) -> AgentResult:
    """What a stream-json transcript says: the final text, usage, cost, and how it ended."""
    out = AgentResult(text="", events=stream.events, model=stream.model)
    if stream.result is not None:
        _read_result(stream.result, out)
    if not out.text and stream.assistant_text:
        out.text = stream.assistant_text[-1]
    return out


def _read_result(event: dict[str, Any], out: AgentResult) -> None:
    text = event.get("result")
    out.text = text if isinstance(text, str) else ""
    subtype = event.get("subtype")
    if event.get("is_error") or subtype != "success":
        turns = event.get("num_turns")
        detail = out.text or (f"after {turns} turns" if isinstance(turns, int) else "")
        out.error = f"the agent ended with `{subtype}`" + (f": {detail}" if detail else "")
    usage = result_usage(event)
    out.input_tokens, out.output_tokens = usage.input_tokens, usage.output_tokens
    out.cost_usd = usage.cost_usd or 0.0
    out.permission_denials = [
        str(d.get("tool_name", "?")) if isinstance(d, dict) else str(d)
        for d in event.get("permission_denials") or []
    ]


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _TAIL else "…" + text[-_TAIL:]
