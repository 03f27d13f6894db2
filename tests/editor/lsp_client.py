"""A small synchronous LSP client over stdio, enough to drive yaml-language-server in tests.

It speaks JSON-RPC with Content-Length framing to a child process, answers the requests a
pull-model server sends back (`workspace/configuration`, `client/registerCapability`, ...),
keeps the latest `textDocument/publishDiagnostics` per document and serves hovers. A reader
thread owns the child's stdout; every wait is bounded and raises `LspTimeoutError` rather than
hanging, and `close()` always leaves the child reaped.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

METHOD_NOT_FOUND = -32601

# Server→client requests whose answer carries no information for us.
_NULL_ANSWERS = frozenset(
    {
        "client/registerCapability",
        "client/unregisterCapability",
        "window/workDoneProgress/create",
        "workspace/codeLens/refresh",
        "workspace/semanticTokens/refresh",
        "workspace/inlayHint/refresh",
        "workspace/diagnostic/refresh",
    }
)


class LspError(RuntimeError):
    """The server answered with an error, broke the protocol or went away."""


class LspTimeoutError(LspError, TimeoutError):
    """A bounded wait for the server ran out."""


@dataclass(frozen=True)
class Diagnostic:
    """One published diagnostic; lines and characters are 0-based as in LSP."""

    line: int
    character: int
    end_line: int
    end_character: int
    message: str
    severity: int | None
    source: str | None

    @classmethod
    def from_lsp(cls, raw: Mapping[str, Any]) -> Diagnostic:
        start, end = raw["range"]["start"], raw["range"]["end"]
        return cls(
            line=start["line"],
            character=start["character"],
            end_line=end["line"],
            end_character=end["character"],
            message=raw["message"],
            severity=raw.get("severity"),
            source=raw.get("source"),
        )

    def __str__(self) -> str:
        return f"{self.line + 1}:{self.character + 1}: {self.message}"


def utf16_column(line_text: str, index: int) -> int:
    """The LSP character offset (UTF-16 code units) of `line_text[index]`."""
    return len(line_text[:index].encode("utf-16-le")) // 2


def hover_text(result: Any) -> str:
    """The text of a `textDocument/hover` result, whatever shape its `contents` take."""
    if result is None:
        return ""
    contents = result["contents"]
    parts = contents if isinstance(contents, list) else [contents]
    return "\n\n".join(part if isinstance(part, str) else part["value"] for part in parts)


class LspClient:
    """One language server child process and its JSON-RPC conversation.

    `settings` maps configuration sections (`"yaml"`, `"[yaml]"`, ...) to the values returned
    for `workspace/configuration`; dotted sections (`"yaml.format"`) are looked up inside them.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        root: Path,
        settings: Mapping[str, Any],
        timeout: float = 10.0,
    ) -> None:
        self.root = root.resolve()
        self.settings = settings
        self.timeout = timeout
        self.server_info: Mapping[str, Any] = {}
        self.log: deque[str] = deque(maxlen=200)
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Any]] = {}
        self._write_lock = threading.Lock()
        self._state = threading.Condition()
        self._diagnostics: dict[str, list[Diagnostic]] = {}
        self._publications: dict[str, int] = {}
        self._configuration_served = threading.Event()
        self._closed = False
        self._process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.root,
        )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        self._stdin: IO[bytes] = self._process.stdin
        self._reader = threading.Thread(
            target=self._read_messages, args=(self._process.stdout,), daemon=True
        )
        self._stderr_reader = threading.Thread(
            target=self._drain_stderr, args=(self._process.stderr,), daemon=True
        )
        self._reader.start()
        self._stderr_reader.start()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Initialize the session and wait until the server has pulled its configuration."""
        try:
            result = self.request("initialize", self._initialize_params())
            self.server_info = result.get("serverInfo", {})
            self.notify("initialized", {})
            if not self._configuration_served.wait(self.timeout):
                raise LspTimeoutError(
                    f"the server did not ask for its configuration within {self.timeout} s"
                    + self._log_tail()
                )
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Shut the server down politely; kill it when it does not comply. Always reaps it."""
        if self._closed:
            return
        try:
            if self._process.poll() is None:
                try:
                    self.request("shutdown", None, timeout=min(self.timeout, 5.0))
                    self.notify("exit", None)
                    self._process.wait(timeout=min(self.timeout, 5.0))
                except (LspError, OSError, subprocess.TimeoutExpired):
                    self._process.kill()
                    self._process.wait(timeout=5.0)
        finally:
            self._closed = True
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait(timeout=5.0)
            self._stdin.close()
            self._reader.join(timeout=5.0)
            self._stderr_reader.join(timeout=5.0)
            for stream in (self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- documents ---------------------------------------------------------------------------

    def open_document(self, path: Path, language_id: str = "yaml") -> str:
        """Send `didOpen` for a file on disk; returns its `file://` URI."""
        path = path.resolve()
        uri = path.as_uri()
        with self._state:
            self._publications.pop(uri, None)
            self._diagnostics.pop(uri, None)
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": language_id,
                    "version": 1,
                    "text": path.read_text(encoding="utf-8"),
                }
            },
        )
        return uri

    def close_document(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def diagnostics(self, uri: str, timeout: float | None = None) -> list[Diagnostic]:
        """The diagnostics of `uri`, waiting for the server's first publication after opening."""
        limit = self.timeout if timeout is None else timeout
        with self._state:
            published = self._state.wait_for(
                lambda: uri in self._publications or self._process.poll() is not None, limit
            )
            if uri in self._publications:
                return list(self._diagnostics[uri])
        if published:
            raise LspError(f"the server exited before publishing diagnostics for {uri}")
        raise LspTimeoutError(f"no diagnostics for {uri} within {limit} s" + self._log_tail())

    def hover(self, uri: str, line: int, character: int) -> str:
        """The hover text at a 0-based position (character in UTF-16 units); "" when none."""
        result = self.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        return hover_text(result)

    # -- JSON-RPC ----------------------------------------------------------------------------

    def request(self, method: str, params: Any, timeout: float | None = None) -> Any:
        """Send a request and wait (bounded) for its result."""
        request_id = next(self._ids)
        future: Future[Any] = Future()
        with self._state:
            if self._closed or self._process.poll() is not None:
                raise LspError(f"cannot send {method}: the server is not running")
            self._pending[request_id] = future
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        limit = self.timeout if timeout is None else timeout
        try:
            return future.result(timeout=limit)
        except FutureTimeoutError:
            raise LspTimeoutError(
                f"no answer to {method} within {limit} s" + self._log_tail()
            ) from None
        finally:
            with self._state:
                self._pending.pop(request_id, None)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _send(self, message: Mapping[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        header = f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
        with self._write_lock:
            try:
                self._stdin.write(header + body)
                self._stdin.flush()
            except (BrokenPipeError, ValueError) as error:
                raise LspError(f"the server's stdin is closed: {error}") from error

    def _read_messages(self, stream: IO[bytes]) -> None:
        try:
            while (message := _read_frame(stream)) is not None:
                self._dispatch(message)
        except (OSError, ValueError) as error:
            self.log.append(f"reader stopped: {error}")
        finally:
            with self._state:
                pending = list(self._pending.values())
                self._state.notify_all()
            for future in pending:
                if not future.done():
                    future.set_exception(LspError("the server closed its output"))

    def _dispatch(self, message: Mapping[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            self._resolve(message)
        elif "id" in message:
            self._answer(message["id"], method, message.get("params"))
        elif method == "textDocument/publishDiagnostics":
            params = message["params"]
            with self._state:
                uri = params["uri"]
                self._diagnostics[uri] = [Diagnostic.from_lsp(d) for d in params["diagnostics"]]
                self._publications[uri] = self._publications.get(uri, 0) + 1
                self._state.notify_all()
        elif method in ("window/logMessage", "window/showMessage"):
            self.log.append(str(message["params"].get("message", "")))

    def _resolve(self, message: Mapping[str, Any]) -> None:
        with self._state:
            future = self._pending.get(message.get("id", -1))
        if future is None or future.done():
            return
        if "error" in message:
            error = message["error"]
            future.set_exception(LspError(f"{error.get('code')}: {error.get('message')}"))
        else:
            future.set_result(message.get("result"))

    def _answer(self, request_id: Any, method: str, params: Any) -> None:
        response: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if method == "workspace/configuration":
            response["result"] = [self._section(item.get("section")) for item in params["items"]]
        elif method in _NULL_ANSWERS:
            response["result"] = None
        else:
            response["error"] = {"code": METHOD_NOT_FOUND, "message": f"unsupported: {method}"}
        try:
            self._send(response)
        except LspError as error:
            self.log.append(str(error))
        if method == "workspace/configuration":
            self._configuration_served.set()

    def _section(self, section: str | None) -> Any:
        if section is None:
            return dict(self.settings)
        if section in self.settings:
            return self.settings[section]
        value: Any = self.settings
        for part in section.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value

    def _drain_stderr(self, stream: IO[bytes]) -> None:
        for line in stream:
            self.log.append(line.decode("utf-8", "replace").rstrip())

    def _initialize_params(self) -> dict[str, Any]:
        root_uri = self.root.as_uri()
        return {
            "processId": None,
            "clientInfo": {"name": "llm-pytest-tests"},
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": self.root.name}],
            "capabilities": {
                "workspace": {"configuration": True, "workspaceFolders": True},
                "textDocument": {
                    "synchronization": {"dynamicRegistration": False},
                    "publishDiagnostics": {"relatedInformation": True},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                },
                "general": {"positionEncodings": ["utf-16"]},
            },
        }

    def _log_tail(self) -> str:
        tail = list(self.log)[-10:]
        return "; server log: " + " | ".join(tail) if tail else ""


def _read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """One JSON-RPC message from a Content-Length framed stream; None at end of stream."""
    length: int | None = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise ValueError("a message header without Content-Length")
    body = stream.read(length)
    if len(body) < length:
        return None
    message: dict[str, Any] = json.loads(body)
    return message
