"""Fixtures for running real specs, shared by every test folder through the root conftest: files
in a temporary directory, plugins written there, and a loopback HTTP server."""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.plugins.loader import LLMPlugin, discover_plugin_classes, plugin_tools
from llm_pytest.tools.registry import Tool, ToolRegistry

WriteSpec = Callable[[str], Path]
LoadPlugins = Callable[..., tuple[ToolRegistry, dict[str, type[LLMPlugin]]]]


@pytest.fixture
def write_spec(tmp_path: Path) -> WriteSpec:
    """Write spec text (dedented) to ``test_spec.yaml`` in a temporary directory."""

    def write(text: str) -> Path:
        path = tmp_path / "test_spec.yaml"
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


@pytest.fixture
def load_plugins(tmp_path: Path) -> LoadPlugins:
    """Write plugin files, discover them as ``pytest --llm`` would, and return a registry of
    the built-in tools, the plugins' tools and any extra tools, with the plugin classes by name
    (so a test can reach class-level gates and records)."""

    def load(
        files: dict[str, str], *extra: Tool
    ) -> tuple[ToolRegistry, dict[str, type[LLMPlugin]]]:
        directory = tmp_path / "plugins"
        directory.mkdir(exist_ok=True)
        for name, source in files.items():
            (directory / name).write_text(textwrap.dedent(source).lstrip())
        classes = discover_plugin_classes([directory], entry_points=False)
        tools = [tool for cls in classes for tool in plugin_tools(cls)]
        registry = ToolRegistry([*builtin_tools(), *tools, *extra])
        return registry, {cls.name: cls for cls in classes}

    return load


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every request with JSON describing it; `/status/N` answers with status N."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status = 200
        if self.path.startswith("/status/"):
            status = int(self.path.rsplit("/", 1)[1])
        if self.path.startswith("/text"):
            payload = b"plain words"
            content_type = "text/plain"
        else:
            payload = json.dumps(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": json.loads(body) if body.startswith(("{", "[")) else body,
                }
            ).encode()
            content_type = "application/json"
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@pytest.fixture
def http_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that echoes requests; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()
