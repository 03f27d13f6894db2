"""What the client does for one server besides calling it: record what the server sends during a
call, and answer the server's own requests as the spec scripts them.

- **Notifications**: every call carries a progress token; the progress notifications for it and
  the log messages (``notifications/message``) that arrive while it runs are recorded in its
  :class:`Exchange`, read as ``call.progress`` and ``call.logs``.
- **Client features** (``mcp_servers.NAME.roots/sampling/elicitation``): only declared ones are
  advertised. ``sampling`` replies with scripted text (or, with ``judge``, the
  :class:`~llm_pytest.tools.mcp.sampling.SamplingAnswerer` the session passes answers),
  ``elicitation`` with a scripted answer,
  ``roots`` lists the declared folders; each request and its answer is recorded in
  ``call.requests`` of the calls running at the time.

A message that arrives while no call runs (a log line at start-up) is not attributed to any; one
that arrives during calls made at once is recorded in each of them (the judge's usage answering
a sampling request only in the first, so that it counts once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mcp.client.session import ClientRequestContext
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitRequestParams,
    ElicitResult,
    ErrorData,
    ListRootsResult,
    LoggingMessageNotificationParams,
    Root,
    SamplingMessage,
    TextContent,
)

from llm_pytest.model.plan import McpClientPlan, Scripted
from llm_pytest.tools.mcp.results import plain
from llm_pytest.tools.mcp.sampling import SamplingAnswerer, SamplingUnavailable

__all__ = ["SCRIPTED_MODEL", "ClientFeatures", "Exchange", "exchange_note"]

SCRIPTED_MODEL = "llm-pytest-scripted"
"""The model name a scripted sampling reply gives."""


class Exchange:
    """What the server sent during one call."""

    def __init__(self) -> None:
        self.progress: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.unavailable: str | None = None
        """Why a request of the server could not be answered at all (no judge LLM for
        ``sampling: judge``): the call fails with it, even when the server carried on."""

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        """The progress callback of the call."""
        self.progress.append({"progress": progress, "total": total, "message": message})

    def details(self) -> dict[str, Any]:
        """``call.progress``, ``call.logs`` and ``call.requests``."""
        return {"progress": self.progress, "logs": self.logs, "requests": self.requests}


_NOTE_ITEM = 80  # characters of one log message or request in the trace's note


def exchange_note(details: Mapping[str, Any]) -> str | None:
    """What the server sent during a call, in one line for the trace (None: nothing)."""
    parts: list[str] = []
    progress = details.get("progress") or []
    if progress:
        last = progress[-1]
        of = "" if last["total"] is None else f"/{last['total']:g}"
        said = f" {last['message']!r}" if last["message"] else ""
        parts.append(f"progress x{len(progress)} (last {last['progress']:g}{of}{said})")
    for log in details.get("logs") or []:
        where = f" {log['logger']}" if log["logger"] else ""
        data = log["data"] if isinstance(log["data"], str) else json.dumps(log["data"])
        parts.append(f"log {log['level']}{where}: {_short(data)}")
    for request in details.get("requests") or []:
        answered = request.get("error") or json.dumps(request["response"])
        parts.append(f"request {request['method']}: {_short(answered)}")
    return "MCP server sent " + "; ".join(parts) if parts else None


def _short(text: str) -> str:
    return text if len(text) <= _NOTE_ITEM else text[: _NOTE_ITEM - 1] + "…"


class _Script:
    """Scripted answers handed out in order (or one answer, every time)."""

    def __init__(self, scripted: Scripted) -> None:
        self.scripted = scripted
        self.used = 0

    def next(self) -> Any | None:
        answers = self.scripted.answers
        if self.scripted.repeat:
            return answers[0]
        if self.used >= len(answers):
            return None
        self.used += 1
        return answers[self.used - 1]


class ClientFeatures:
    """The client side of one server's session: the callbacks and the calls running now."""

    def __init__(
        self, server: str, plan: McpClientPlan, sampler: SamplingAnswerer | None = None
    ) -> None:
        self.server = server
        self.plan = plan
        self.sampler = sampler
        """Who answers sampling requests for ``sampling: judge`` (None: nobody can)."""
        self._active: list[Exchange] = []
        self._sampling = None if not isinstance(plan.sampling, Scripted) else _Script(plan.sampling)
        self._elicitation = None if plan.elicitation is None else _Script(plan.elicitation)

    def begin(self) -> Exchange:
        """A call starts: what the server sends from now on is recorded in its exchange too."""
        exchange = Exchange()
        self._active.append(exchange)
        return exchange

    def end(self, exchange: Exchange) -> None:
        """The call is over."""
        self._active.remove(exchange)

    def callbacks(self) -> dict[str, Any]:
        """The keyword arguments of ``mcp.Client``: logging always, the rest when declared."""
        out: dict[str, Any] = {"logging_callback": self._on_log}
        if self._sampling is not None:
            out["sampling_callback"] = self._on_sampling
        elif self.plan.sampling == "judge":
            out["sampling_callback"] = self._on_judge_sampling
        if self._elicitation is not None:
            out["elicitation_callback"] = self._on_elicitation
        if self.plan.roots is not None:
            out["list_roots_callback"] = self._on_list_roots
        return out

    async def _on_log(self, params: LoggingMessageNotificationParams) -> None:
        entry = {"level": params.level, "logger": params.logger, "data": plain(params.data)}
        for exchange in self._active:
            exchange.logs.append(entry)

    def _record(
        self, method: str, params: Any, answer: Any, usage: Any = None, **extra: Any
    ) -> None:
        """Record a request with each call running now; its ``usage`` (the judge's tokens and
        cost) only with the first, so that it counts once in the runs' usage."""
        entry = {"method": method, "params": plain(params), "response": plain(answer), **extra}
        for number, exchange in enumerate(self._active):
            used = {"usage": usage} if usage is not None and number == 0 else {}
            exchange.requests.append({**entry, **used})

    async def _on_sampling(
        self, context: ClientRequestContext, params: CreateMessageRequestParams
    ) -> CreateMessageResult | ErrorData:
        assert self._sampling is not None
        reply = self._sampling.next()
        answer: CreateMessageResult | ErrorData
        if reply is None:
            answer = ErrorData(
                code=INVALID_REQUEST,
                message=f"no scripted sampling reply left: `mcp_servers.{self.server}.sampling` "
                f"lists {len(self._sampling.scripted.answers)}",
            )
        else:
            answer = CreateMessageResult(
                role="assistant",
                content=TextContent(text=str(reply)),
                model=SCRIPTED_MODEL,
                stop_reason="endTurn",
            )
        self._record("sampling/createMessage", params, answer)
        return answer

    async def _on_judge_sampling(
        self, context: ClientRequestContext, params: CreateMessageRequestParams
    ) -> CreateMessageResult | ErrorData:
        """``sampling: judge``: the session's judge LLM answers. A failure goes back to the
        server as an MCP error, and is recorded with the request under ``error``; when no LLM
        can answer at all, the call that caused the request fails too."""
        try:
            if self.sampler is None:
                raise SamplingUnavailable(
                    "no judge configured: `sampling: judge` needs a judge LLM; choose one with "
                    "--llm-provider or ini `llm_provider`"
                )
            sampled = await self.sampler.answer(
                _sampling_messages(params.messages),
                system_prompt=params.system_prompt,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                stop_sequences=params.stop_sequences or (),
            )
        except Exception as exc:
            message = (
                f"`mcp_servers.{self.server}.sampling: judge`: the judge could not answer "
                f"the sampling request: {exc}"
            )
            error = ErrorData(code=INTERNAL_ERROR, message=message)
            if isinstance(exc, SamplingUnavailable):
                for exchange in self._active:
                    exchange.unavailable = exchange.unavailable or message
            self._record("sampling/createMessage", params, error, error=message)
            return error
        answer = CreateMessageResult(
            role="assistant",
            content=TextContent(text=sampled.text),
            model=sampled.model,
            stop_reason=sampled.stop_reason,
        )
        usage = {
            "input_tokens": sampled.input_tokens,
            "output_tokens": sampled.output_tokens,
            "cost_usd": sampled.cost_usd,
        }
        self._record("sampling/createMessage", params, answer, usage=usage)
        return answer

    async def _on_elicitation(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        assert self._elicitation is not None
        scripted = self._elicitation.next()
        answer: ElicitResult | ErrorData
        if scripted is None:
            answer = ErrorData(
                code=INVALID_REQUEST,
                message="no scripted elicitation answer left: "
                f"`mcp_servers.{self.server}.elicitation` "
                f"lists {len(self._elicitation.scripted.answers)}",
            )
        else:
            content = scripted["content"] if scripted["action"] == "accept" else None
            answer = ElicitResult(action=scripted["action"], content=content)
        self._record("elicitation/create", params, answer)
        return answer

    async def _on_list_roots(self, context: ClientRequestContext) -> ListRootsResult:
        roots = [Root(uri=Path(p).as_uri(), name=Path(p).name) for p in self.plan.roots or ()]
        answer = ListRootsResult(roots=roots)
        self._record("roots/list", None, answer)
        return answer


def _sampling_messages(messages: Sequence[SamplingMessage]) -> list[dict[str, str]]:
    """A sampling request's messages as chat messages of text; other content (images, audio,
    tool use) cannot be sent to the judge and raises ValueError naming it."""
    out: list[dict[str, str]] = []
    for number, message in enumerate(messages, 1):
        blocks = message.content if isinstance(message.content, list) else [message.content]
        texts: list[str] = []
        for block in blocks:
            if not isinstance(block, TextContent):
                raise ValueError(
                    f"message {number} has {block.type} content; `sampling: judge` answers "
                    "text messages only (script the reply instead)"
                )
            texts.append(block.text)
        out.append({"role": message.role, "content": "\n".join(texts)})
    return out
