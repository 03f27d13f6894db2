"""The agent of agent mode: an LLM that calls our MCP server's tools and returns a verdict.

:class:`AgentDriver` is the one-method interface; :class:`ClaudeCodeAgent` drives the Claude
Code CLI::

    claude -p PROMPT --output-format stream-json --verbose --mcp-config FILE --strict-mcp-config
        --allowedTools mcp__llm_pytest__a,mcp__llm_pytest__b --tools "" --no-session-persistence
        [--model M] [--max-turns N]

Standard input is closed (an open stdin makes the CLI wait); its built-in tools are switched
off (``--tools ""``), so the agent can only use ours; ``ENABLE_TOOL_SEARCH=false`` makes the CLI
send our tools' schemas up front. The process leads its own process group, which is killed when
the run ends, and at once when it times out.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream, Process

from llm_pytest.errors import ProviderConfigError

__all__ = ["AgentDriver", "AgentResult", "ClaudeCodeAgent", "result_from_events"]

INSTALL_HINT = (
    "install Claude Code (npm install -g @anthropic-ai/claude-code) and log in once, "
    "or point LLM_PYTEST_CLAUDE at its `claude` executable"
)
# One argument may hold at most 128 KiB on Linux; a longer prompt goes through stdin (written
# in full, then closed, so the CLI never waits on it).
_ARGV_PROMPT_LIMIT = 100_000
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
    num_turns: int | None = None
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

    def argv(
        self, prompt: str | None, mcp_config: Path, allowed_tools: Sequence[str], model: str | None
    ) -> list[str]:
        """The command line; without ``prompt`` the CLI reads it from stdin."""
        argv = [self.command, "-p"]
        if prompt is not None:
            argv.append(prompt)
        argv += ["--output-format", "stream-json", "--verbose"]
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
        data = prompt.encode()
        in_argv = len(data) <= _ARGV_PROMPT_LIMIT
        argv = self.argv(prompt if in_argv else None, mcp_config, allowed_tools, model)
        env = {**self.env, "ENABLE_TOOL_SEARCH": "false"}
        # A folder of its own: the CLI must not pick up a project's CLAUDE.md or settings.
        with tempfile.TemporaryDirectory(prefix="llm_pytest_agent_cwd_") as cwd:
            try:
                process = await anyio.open_process(
                    argv,
                    stdin=subprocess.DEVNULL if in_argv else subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ProviderConfigError(
                    f"agent mode cannot run `{self.command}` ({exc.strerror or exc}): "
                    + INSTALL_HINT
                ) from None
            return await _communicate(process, None if in_argv else data, timeout)


async def _communicate(process: Process, stdin: bytes | None, limit: float) -> AgentResult:
    stdout, stderr = bytearray(), bytearray()
    finished = False
    try:
        with anyio.move_on_after(limit):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_drain, process.stdout, stdout)
                tg.start_soon(_drain, process.stderr, stderr)
                if stdin is not None:
                    tg.start_soon(_feed, process.stdin, stdin)
                await process.wait()
                finished = True
                # Children that inherited the pipes would keep the drains waiting.
                _kill_group(process)
    finally:
        # Also after a normal exit: nothing the CLI started may outlive the run.
        _kill_group(process)
        with anyio.CancelScope(shield=True):
            await process.aclose()
    events = _events(stdout.decode("utf-8", "replace"))
    result = result_from_events(events)
    err = _tail(stderr.decode("utf-8", "replace"))
    if not finished:
        result.error = f"the agent gave no result within {limit:g}s (its process group was killed)"
    elif result.error is None and not any(e.get("type") == "result" for e in events):
        result.error = f"the agent exited with code {process.returncode} without a result" + (
            f"; stderr: {err}" if err else ""
        )
    return result


def result_from_events(events: list[dict[str, Any]]) -> AgentResult:
    """What a stream-json transcript says: the final text, usage, cost, and how it ended."""
    out = AgentResult(text="", events=events)
    texts: list[str] = []
    for event in events:
        kind = event.get("type")
        if kind == "system" and event.get("subtype") == "init":
            model = event.get("model")
            out.model = model if isinstance(model, str) else out.model
        elif kind == "assistant":
            content = (event.get("message") or {}).get("content") or []
            texts += [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"]
        elif kind == "result":
            _read_result(event, out)
    if not out.text and texts:
        out.text = texts[-1]
    return out


def _read_result(event: dict[str, Any], out: AgentResult) -> None:
    text = event.get("result")
    out.text = text if isinstance(text, str) else ""
    subtype = event.get("subtype")
    if event.get("is_error") or subtype != "success":
        turns = event.get("num_turns")
        detail = out.text or (f"after {turns} turns" if isinstance(turns, int) else "")
        out.error = f"the agent ended with `{subtype}`" + (f": {detail}" if detail else "")
    usage = event.get("usage") or {}
    out.input_tokens = sum(
        int(usage.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    out.output_tokens = int(usage.get("output_tokens") or 0)
    cost = event.get("total_cost_usd")
    out.cost_usd = float(cost) if isinstance(cost, int | float) else 0.0
    turns = event.get("num_turns")
    out.num_turns = turns if isinstance(turns, int) else None
    out.permission_denials = [
        str(d.get("tool_name", "?")) if isinstance(d, dict) else str(d)
        for d in event.get("permission_denials") or []
    ]


def _events(text: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


async def _drain(stream: ByteReceiveStream | None, sink: bytearray) -> None:
    if stream is not None:
        async for chunk in stream:
            sink += chunk


async def _feed(stream: ByteSendStream | None, data: bytes) -> None:
    if stream is None:
        return
    with contextlib.suppress(anyio.BrokenResourceError, BrokenPipeError, ConnectionResetError):
        await stream.send(data)
    with contextlib.suppress(anyio.BrokenResourceError, BrokenPipeError, ConnectionResetError):
        await stream.aclose()


def _kill_group(process: Process) -> None:
    # With start_new_session the child leads its own process group: its pid is the group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _TAIL else "…" + text[-_TAIL:]
