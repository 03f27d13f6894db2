"""``http_request`` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.to_thread
import httpx
import pytest

from llm_pytest.errors import ToolError
from llm_pytest.tools.builtin import HTTP_CLIENT
from llm_pytest.tools.builtin.http import DEFAULT_MAX_BYTES
from llm_pytest.tools.registry import ToolContext, ToolRegistry


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse can be observed
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is for the tests."""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", "test-server")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def do_GET(self) -> None:
        self.server.client_ports.append(self.client_address[1])
        url = urlsplit(self.path)
        if url.path == "/json":
            self._json(
                200,
                {
                    "query": parse_qs(url.query),
                    "token": self.headers.get("X-Token"),
                },
            )
        elif url.path == "/text":
            self._send(200, "héllo\n".encode(), "text/plain; charset=utf-8")
        elif url.path == "/missing":
            self._json(404, {"error": "no such user"})
        elif url.path == "/broken-json":
            self._send(200, b"{not json", "application/json")
        elif url.path == "/slow":
            self.server.release.wait(10)
            self._send(200, b"late", "text/plain")
        elif url.path == "/endless":
            self._endless()
        else:
            self._send(500, b"unexpected path", "text/plain")

    def _endless(self) -> None:
        """A chunked body that never ends: stops only when the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while True:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            self.server.hung_up.set()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._json(
            201,
            {
                "method": self.command,
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode(),
            },
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.client_ports: list[int] = []
        self.release = threading.Event()
        self.hung_up = threading.Event()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join()


@pytest.fixture
def base_url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


async def request(registry: ToolRegistry, ctx: ToolContext, **args: Any) -> Any:
    assert registry.validate("http_request", args) == []
    return await registry.get("http_request").func(ctx, args)


@pytest.mark.anyio
async def test_json_response_is_parsed_and_query_and_headers_are_sent(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(
        registry,
        ctx,
        method="get",
        url=f"{base_url}/json",
        params={"page": 2, "tag": ["a", "b"]},
        headers={"X-Token": "secret"},
    )
    assert list(result) == ["status", "headers", "json", "elapsed_ms"]
    assert result["status"] == 200
    assert result["json"] == {"query": {"page": ["2"], "tag": ["a", "b"]}, "token": "secret"}
    assert result["headers"]["x-served-by"] == "test-server"
    assert result["elapsed_ms"] >= 0


@pytest.mark.anyio
async def test_text_response_is_returned_as_text(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(registry, ctx, method="GET", url=f"{base_url}/text")
    assert result["text"] == "héllo\n"
    assert "json" not in result


@pytest.mark.anyio
async def test_a_json_content_type_with_a_bad_body_falls_back_to_text(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(registry, ctx, method="GET", url=f"{base_url}/broken-json")
    assert result["text"] == "{not json"


@pytest.mark.anyio
async def test_a_404_is_data_not_an_error(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(registry, ctx, method="GET", url=f"{base_url}/missing")
    assert result["status"] == 404
    assert result["json"] == {"error": "no such user"}


@pytest.mark.anyio
async def test_json_argument_is_sent_as_a_json_body(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(
        registry, ctx, method="POST", url=f"{base_url}/users", json={"name": "Alice"}
    )
    assert result["status"] == 201
    assert result["json"]["content_type"] == "application/json"
    assert json.loads(result["json"]["body"]) == {"name": "Alice"}


@pytest.mark.anyio
async def test_body_argument_is_sent_as_it_is(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(
        registry,
        ctx,
        method="POST",
        url=f"{base_url}/raw",
        body="a=1&b=2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert result["json"]["body"] == "a=1&b=2"
    assert result["json"]["content_type"] == "application/x-www-form-urlencoded"


@pytest.mark.anyio
async def test_json_and_body_together_are_refused(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    with pytest.raises(ToolError, match="either `json` or `body`"):
        await request(registry, ctx, method="POST", url=base_url, json={}, body="x")


@pytest.mark.anyio
async def test_requests_of_one_run_share_one_client_and_connection(
    registry: ToolRegistry, server: _Server, base_url: str
) -> None:
    ctx = ToolContext(env={})
    server.client_ports.clear()
    for _ in range(3):
        await request(registry, ctx, method="GET", url=f"{base_url}/json")
    client = ctx.resources[HTTP_CLIENT]
    assert len(set(server.client_ports)) == 1
    await ctx.aclose()
    assert isinstance(client, httpx.AsyncClient)
    assert client.is_closed


@pytest.mark.anyio
async def test_connection_refused_names_the_url(registry: ToolRegistry, ctx: ToolContext) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/health"
        with pytest.raises(ToolError) as err:
            await request(registry, ctx, method="GET", url=url)
    assert str(err.value) == f"connection refused to {url} — is the server running?"


@pytest.mark.anyio
async def test_a_response_that_does_not_come_in_time_is_a_timeout_error(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    with pytest.raises(ToolError, match=r"GET .*/slow timed out after 0.2s"):
        await request(registry, ctx, method="GET", url=f"{base_url}/slow", timeout=0.2)


@pytest.mark.anyio
@pytest.mark.parametrize("max_bytes", [100_000, None], ids=["given", "default"])
async def test_an_endless_body_is_cut_at_max_bytes_and_the_connection_dropped(
    registry: ToolRegistry, ctx: ToolContext, server: _Server, base_url: str, max_bytes: int | None
) -> None:
    server.hung_up.clear()
    cap = {"max_bytes": max_bytes} if max_bytes is not None else {}
    with anyio.fail_after(30):
        result = await request(registry, ctx, method="GET", url=f"{base_url}/endless", **cap)
    expected = max_bytes or DEFAULT_MAX_BYTES
    assert result["status"] == 200
    assert result["text"] == "x" * expected
    assert result["truncated"] == (
        f"the body was cut at {expected} bytes (`max_bytes`); the rest was not read"
    )
    assert await anyio.to_thread.run_sync(server.hung_up.wait, 10)


@pytest.mark.anyio
async def test_a_body_of_exactly_max_bytes_is_not_truncated(
    registry: ToolRegistry, ctx: ToolContext, base_url: str
) -> None:
    result = await request(registry, ctx, method="GET", url=f"{base_url}/text", max_bytes=7)
    assert result["text"] == "héllo\n"
    assert "truncated" not in result
    cut = await request(registry, ctx, method="GET", url=f"{base_url}/text", max_bytes=6)
    assert cut["text"] == "héllo"
    assert "truncated" in cut


def test_a_url_without_scheme_is_a_schema_error(registry: ToolRegistry) -> None:
    errors = registry.validate("http_request", {"method": "GET", "url": "localhost:8000"})
    assert len(errors) == 1
    assert errors[0].startswith("`args.url`:")
