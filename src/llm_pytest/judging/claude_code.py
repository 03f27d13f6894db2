"""The ``claude-code`` provider: the Claude Code CLI in print mode, one process per judgement.

``claude -p --output-format stream-json --verbose`` reads the prompt from standard input and
prints one JSON event per line: ``system`` (init), ``assistant`` and ``user`` messages, then a
``result`` event carrying the answer, its usage and its cost. The prompt is never an argument:
it holds the run's values, and a command line is visible to every user of the machine. It is
written to stdin in full and stdin is closed (the CLI waits on an open stdin). The process
leads its own process group, and the whole group is killed when the call times out.
The judge's MCP configuration is empty and strict, so no configured server is started. There
are no retries here (the CLI retries API errors itself), so ``max_retries`` does not apply."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from llm_pytest._process import Finished, run_in_own_group
from llm_pytest.errors import ProviderConfigError, ProviderError
from llm_pytest.judging.settings import Settings, int_setting, str_setting
from llm_pytest.model.judge import JudgeRequest, ProviderReply

__all__ = [
    "ClaudeCodeProvider",
    "ResultUsage",
    "StreamOutcome",
    "parse_stream",
    "result_usage",
]

INSTALL_HINT = (
    "install Claude Code (npm install -g @anthropic-ai/claude-code) and run `claude` once to "
    "log in, or choose another --llm-provider"
)
_EXCERPT = 500
_AUTH_FAILURE = re.compile(
    r"invalid api key|/login|not logged in|authentication|unauthori[sz]ed|oauth token|"
    r"credit balance|\b401\b",
    re.IGNORECASE,
)


@dataclass
class StreamOutcome:
    """What a stream-json transcript says: its events, the result event, the model, the
    assistant's text blocks and the lines that were not JSON objects."""

    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    model: str | None = None
    assistant_text: list[str] = field(default_factory=list)
    garbage: list[str] = field(default_factory=list)


def parse_stream(text: str) -> StreamOutcome:
    """Read the events of ``claude --output-format stream-json`` output, one JSON per line."""
    out = StreamOutcome()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            out.garbage.append(line)
            continue
        if not isinstance(event, dict):
            out.garbage.append(line)
            continue
        out.events.append(event)
        kind = event.get("type")
        if kind == "system" and event.get("subtype") == "init":
            model = event.get("model")
            out.model = model if isinstance(model, str) else out.model
        elif kind == "assistant":
            content = (event.get("message") or {}).get("content") or []
            out.assistant_text.extend(
                b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"
            )
        elif kind == "result":
            out.result = event
    return out


class ResultUsage(NamedTuple):
    """The usage a ``result`` event reports; cache reads and writes count as input."""

    input_tokens: int
    output_tokens: int
    cost_usd: float | None


def result_usage(event: Mapping[str, Any]) -> ResultUsage:
    """Tokens and cost (None when not reported) of a stream-json ``result`` event."""
    usage = event.get("usage") or {}
    cost = event.get("total_cost_usd")
    return ResultUsage(
        input_tokens=sum(
            int(usage.get(k) or 0)
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        ),
        output_tokens=int(usage.get("output_tokens") or 0),
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
    )


class ClaudeCodeProvider:
    """A judge that asks the local ``claude`` CLI (its login, its default model)."""

    name = "claude-code"
    default_model: str | None = None

    def __init__(
        self,
        *,
        command: str = "claude",
        max_turns: int = 3,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = command
        self.max_turns = max_turns
        self._env = dict(env) if env is not None else None

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> ClaudeCodeProvider:
        """Configured from settings (``claude_command``, ``max_turns``); the program must be
        on PATH (or given as a path)."""
        command = str_setting(settings, "claude_command") or "claude"
        found = shutil.which(command, path=env.get("PATH"))
        if found is None:
            raise ProviderConfigError(f"the claude-code judge needs `{command}`: {INSTALL_HINT}")
        return cls(
            command=found, max_turns=int_setting(settings, "max_turns", 3, minimum=1), env=env
        )

    def argv(self, request: JudgeRequest) -> list[str]:
        """The command line; the prompt goes to stdin."""
        argv = [self.command, "-p", "--output-format", "stream-json", "--verbose"]
        argv += ["--max-turns", str(self.max_turns)]
        argv += ["--strict-mcp-config", "--mcp-config", '{"mcpServers":{}}']
        if request.model:
            argv += ["--model", request.model]
        return argv

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        try:
            run = await run_in_own_group(
                self.argv(request),
                timeout=request.timeout,
                stdin=request.flat_prompt().encode(),
                env=self._env,
                # Also after a normal exit: what the CLI started must not outlive the judgement.
                leftovers="kill",
            )
        except FileNotFoundError:
            raise ProviderConfigError(
                f"the claude-code judge cannot run `{self.command}`: {INSTALL_HINT}"
            ) from None
        except OSError as exc:
            raise ProviderConfigError(f"cannot start `{self.command}`: {exc}") from None
        if run.exit_code is None:
            raise ProviderError(
                f"claude gave no result within {request.timeout:g}s (its process group was killed)"
            )
        return _reply(parse_stream(run.stdout.decode("utf-8", "replace")), run)


def _reply(outcome: StreamOutcome, run: Finished) -> ProviderReply:
    event = outcome.result
    if event is None:
        err = run.stderr.decode("utf-8", "replace").strip()
        if _AUTH_FAILURE.search(err):
            raise ProviderConfigError(
                f"claude cannot authenticate: {_excerpt(err)}; {INSTALL_HINT}"
            )
        if outcome.garbage and not outcome.assistant_text:
            raise ProviderError(
                f"claude printed no stream-json result (exit code {run.exit_code}); "
                f"output: {_excerpt(outcome.garbage[0])!r}"
                + (f"; stderr: {_excerpt(err)}" if err else "")
            )
        raise ProviderError(
            f"claude exited with code {run.exit_code} without a result event"
            + (f"; stderr: {_excerpt(err)}" if err else "")
        )
    text = event.get("result")
    subtype = event.get("subtype")
    if event.get("is_error") or subtype != "success":
        detail = text if isinstance(text, str) and text else str(subtype)
        if _AUTH_FAILURE.search(detail):
            raise ProviderConfigError(
                f"claude cannot authenticate: {_excerpt(detail)}; {INSTALL_HINT}"
            )
        raise ProviderError(f"claude ended with {subtype}: {_excerpt(detail)}")
    if not isinstance(text, str):
        text = "".join(outcome.assistant_text)
    usage = result_usage(event)
    return ProviderReply(
        text=text,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
        model=outcome.model,
    )


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"
