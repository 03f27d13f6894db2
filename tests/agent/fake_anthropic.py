"""A loopback stand-in for the Anthropic Messages API, scripted turn by turn, for the real
Claude Code CLI.

The CLI streams ``POST /v1/messages`` (server-sent events) and sends the whole conversation
each time, so the turn to answer is the number of assistant messages already in it: a retried
request gets the same answer. A turn either calls tools (``tool_use`` blocks, which the CLI
runs through its MCP servers and answers with ``tool_result`` blocks in the next request) or
ends the conversation with text.

::

    script = [Turn.calls(("store_value", {"name": "k", "value": 1})), Turn.say("{...}")]
    with FakeAnthropic(script) as api:
        env = api.cli_env(home, dict(os.environ))   # ANTHROPIC_BASE_URL and friends
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

MODEL = "claude-sonnet-4-5"
OUT_OF_SCRIPT = "the fake API has no more turns"


@dataclass(frozen=True)
class Turn:
    """One answer of the model: tool calls (named as our MCP tools), or final text."""

    tool_uses: tuple[tuple[str, dict[str, Any]], ...] = ()
    text: str | None = None

    @classmethod
    def calls(cls, *calls: tuple[str, dict[str, Any]]) -> Turn:
        """Call these tools of the ``llm_pytest`` server (bare tool names) in one turn."""
        return cls(tool_uses=tuple((f"mcp__llm_pytest__{name}", args) for name, args in calls))

    @classmethod
    def say(cls, text: str) -> Turn:
        return cls(text=text)


Script = Sequence[Turn | Callable[[list[dict[str, Any]]], Turn]]


@dataclass
class FakeAnthropic:
    """The fake API on a free 127.0.0.1 port while entered; ``requests`` holds every body."""

    script: Script
    requests: list[dict[str, Any]] = field(default_factory=list)
    usage: tuple[int, int] = (120, 30)
    """Input and output tokens reported for every turn."""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def cli_env(self, home: Path, base: dict[str, str]) -> dict[str, str]:
        """``base`` with what the CLI needs to talk to this API only, from a fresh ``home``."""
        return {
            **base,
            "HOME": str(home),
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": "sk-ant-fake-key-for-tests",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
        }

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def tool_results(self) -> list[dict[str, Any]]:
        """The ``tool_result`` blocks of the last conversation the CLI sent, in order."""
        if not self.requests:
            return []
        return [
            block
            for message in self.requests[-1].get("messages", [])
            if isinstance(message.get("content"), list)
            for block in message["content"]
            if isinstance(block, dict) and block.get("type") == "tool_result"
        ]

    def offered_tools(self) -> list[str]:
        """The tool names the CLI offered the model in its last request."""
        return [tool["name"] for tool in self.requests[-1].get("tools", [])]

    def prompt(self) -> str:
        """The text of the first user message of the last conversation."""
        first = self.requests[-1]["messages"][0]["content"]
        if isinstance(first, str):
            return first
        return "\n".join(b.get("text", "") for b in first if isinstance(b, dict))

    # -- answering -------------------------------------------------------------------------

    def _answer(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        messages = body.get("messages", [])
        turn_index = sum(1 for m in messages if m.get("role") == "assistant")
        if turn_index >= len(self.script):
            return [{"type": "text", "text": OUT_OF_SCRIPT}], "end_turn"
        entry = self.script[turn_index]
        turn = entry if isinstance(entry, Turn) else entry(messages)
        if turn.tool_uses:
            blocks = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{next(self._ids):04d}",
                    "name": name,
                    "input": args,
                }
                for name, args in turn.tool_uses
            ]
            return blocks, "tool_use"
        return [{"type": "text", "text": turn.text or ""}], "end_turn"

    def _events(self, blocks: list[dict[str, Any]], stop_reason: str) -> Iterator[tuple[str, Any]]:
        tokens_in, tokens_out = self.usage
        yield (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": f"msg_{next(self._ids):04d}",
                    "type": "message",
                    "role": "assistant",
                    "model": MODEL,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": tokens_in, "output_tokens": 1},
                },
            },
        )
        for index, block in enumerate(blocks):
            if block["type"] == "tool_use":
                start = {**block, "input": {}}
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            else:
                start = {"type": "text", "text": ""}
                delta = {"type": "text_delta", "text": block["text"]}
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": start,
                },
            )
            yield (
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            yield "content_block_stop", {"type": "content_block_stop", "index": index}
        yield (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": tokens_out},
            },
        )
        yield "message_stop", {"type": "message_stop"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send(200, "application/json", b"{}")

            def do_HEAD(self) -> None:
                self._send(200, "application/json", b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.startswith("/v1/messages") or "count_tokens" in self.path:
                    self._send(200, "application/json", json.dumps({"input_tokens": 100}).encode())
                    return
                with fake._lock:
                    fake.requests.append(body)
                    blocks, stop = fake._answer(body)
                if body.get("stream"):
                    events = fake._events(blocks, stop)
                    data = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events)
                    self._send(200, "text/event-stream", data.encode())
                    return
                tokens_in, tokens_out = fake.usage
                message = {
                    "id": f"msg_{next(fake._ids):04d}",
                    "type": "message",
                    "role": "assistant",
                    "model": MODEL,
                    "content": blocks,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
                }
                self._send(200, "application/json", json.dumps(message).encode())

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
