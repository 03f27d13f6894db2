"""A local HTTP server speaking the OpenAI Chat Completions and Anthropic Messages wire
protocols: it records every request and answers from a script of canned answers."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """One canned answer. ``body`` may be JSON data or raw bytes; ``hold`` makes the server wait
    until it shuts down (a server slower than any timeout); ``delay`` waits that long first."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


def openai_completion(
    text: str,
    *,
    prompt_tokens: int = 1000,
    completion_tokens: int = 100,
    model: str = "gpt-4.1-mini-2025-04-14",
) -> Answer:
    return Answer(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def anthropic_message(
    text: str, *, model: str = "claude-sonnet-4-5-20250929", stop_reason: str = "end_turn"
) -> Answer:
    return Answer(
        body={
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "usage": {"input_tokens": 900, "cache_read_input_tokens": 100, "output_tokens": 50},
        }
    )


def error(
    status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
) -> Answer:
    body: dict[str, Any] = {"error": {"message": message, "type": "error"}}
    if code:
        body["error"]["code"] = code
    return Answer(status=status, body=body, headers=headers or {})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        answer = self.server.next_answer(received)
        if answer.hold:
            self.server.release.wait(30)
        elif answer.delay:
            self.server.release.wait(answer.delay)
        payload = (
            answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        )
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may have given up waiting (a timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)


class FakeLLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, default: Callable[[Received], Answer] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers: list[Answer] = []
        self.received: list[Received] = []
        self.release = threading.Event()
        self._default = default or _default_answer
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def script(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, then with the default answer."""
        with self._lock:
            self.answers.extend(answers)

    def next_answer(self, received: Received) -> Answer:
        with self._lock:
            self.received.append(received)
            if self.answers:
                return self.answers.pop(0)
        return self._default(received)


def _default_answer(received: Received) -> Answer:
    verdict = '{"verdict": "PASS", "reason": "fine", "steps": [], "issues": []}'
    if received.path.endswith("/messages"):
        return anthropic_message(verdict)
    return openai_completion(verdict)


@contextmanager
def serving(default: Callable[[Received], Answer] | None = None) -> Iterator[FakeLLMServer]:
    server = FakeLLMServer(default)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
