"""When a spec's MCP servers start and stop (`scope`), what each run's config says, that one
server's fault stays its own, and that no server outlives pytest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import HttpServerConfig
from llm_pytest.tools.mcp.errors import McpServerError
from tests.process_support import read_pids, running
from tests.pytest_plugin.plugin_support import run, write

from .support import HERE, context

COUNTER = HERE / "servers" / "counter_server.py"
SRC = HERE.parents[2] / "src"


def counter(name: str = "counter", *, scope: str = "run") -> str:
    """One line of YAML declaring the counter server as ``name`` (it appends its pid to
    ``pids-NAME``)."""
    return (
        f"{name}: {{command: python, args: [{json.dumps(str(COUNTER))}], "
        f"env: {{PID_FILE: pids-{name}}}, scope: {scope}}}"
    )


def traces(pytester: pytest.Pytester) -> list[dict[str, object]]:
    [path] = pytester.path.glob(".pytest_cache/d/llm-pytest/runs/2*/per_trace.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_run_starts_a_fresh_server_unless_its_scope_is_item(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        "test_scopes.yaml",
        f"""\
        test: {{name: Fresh, iterations: 2}}
        mcp_servers:
          {counter("fresh")}
        steps:
          - tool: fresh_bump
            check: result == 1
        ---
        test: {{name: Shared, iterations: 2}}
        mcp_servers:
          {counter("shared", scope="item")}
        steps:
          - tool: shared_bump
            check: result == iteration
        """,
    )
    result = run(pytester, "--llm", "--llm-concurrency", "1", "--llm-verbose")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*[[]run 1[]] [[]mcp[]] server `fresh` started in * ms",
            "*[[]run 2[]] [[]mcp[]] server `fresh` started in * ms",
            "*[[]mcp[]] server `shared` started in * ms",
        ]
    )
    assert len(set(read_pids(pytester.path / "pids-fresh"))) == 2
    assert len(read_pids(pytester.path / "pids-shared")) == 1
    result.stdout.fnmatch_lines(
        [
            "mcp servers: fresh started in * ms (median of 2 starts), "
            "shared started in * ms (1 start)"
        ]
    )
    startups = [sorted(t["mcp_startup_ms"]) for t in traces(pytester)]  # type: ignore[call-overload]
    assert startups == [["fresh"], ["fresh"], ["shared"], []]


def test_iteration_and_uuid_in_a_servers_config_render_for_each_run(
    pytester: pytest.Pytester,
) -> None:
    server = (
        f"{{command: python, args: [{json.dumps(str(COUNTER))}, '--run=${{iteration}}'], "
        "env: {COUNTER_TAG: '${iteration}-${uuid()}'}}"
    )
    spec = "test: {name: Tags, iterations: 2}\nmcp_servers:\n  counter: " + server
    (pytester.path / "test_tags.yaml").write_text(spec + "\nsteps:\n  - tool: counter_tag\n")
    run(pytester, "--llm").assert_outcomes(passed=1)
    tags = [t["steps"][0]["result"] for t in traces(pytester)]  # type: ignore[index]
    assert [t["args"] for t in tags] == [["--run=1"], ["--run=2"]]
    first, second = (t["env"] for t in tags)
    assert first.startswith("1-") and second.startswith("2-")
    assert first[2:] != second[2:]


def test_a_server_that_cannot_start_fails_only_the_steps_that_use_it(
    pytester: pytest.Pytester,
) -> None:
    servers = f"mcp_servers:\n  broken: {{command: no-such-mcp-server}}\n  {counter()}\n"
    works = (
        "test: {name: Works}\n" + servers + "steps:\n  - {tool: counter_bump, check: result == 1}\n"
    )
    broken = (
        "test: {name: Broken}\n"
        + servers
        + "steps:\n  - tool: counter_bump\n  - tool: broken_anything\n"
    )
    (pytester.path / "test_faults.yaml").write_text(works + "---\n" + broken)
    result = run(pytester, "--llm", "-v")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "MCP server `broken` could not be started: No such file" in out
    assert "MCP server `counter`" not in out
    assert "2 MCP servers failed" not in out


class _Refusing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"bad token\nsee the logs for more\n"
        self.send_response(401)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _RefusingCalls(BaseHTTPRequestHandler):
    """A streamable HTTP MCP endpoint whose tool calls are refused with 403 (JSON answers)."""

    def do_POST(self) -> None:
        message = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        method = message.get("method")
        if "id" not in message:
            self._send(202, b"", "text/plain")
        elif method == "initialize":
            result = {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "refusing", "version": "1"},
            }
            self._answer(message, result)
        elif method == "tools/list":
            tool = {"name": "ping", "inputSchema": {"type": "object"}}
            self._answer(message, {"tools": [tool]})
        else:
            self._send(403, b"token expired at 12:00\nrenew it\n", "text/plain")

    def do_GET(self) -> None:
        self._send(405, b"", "text/plain")

    do_DELETE = do_GET

    def _answer(self, message: dict[str, object], result: dict[str, object]) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result})
        self._send(200, body.encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mcp"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def refusing_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers every POST with 401 `bad token`."""
    yield from _serve(_Refusing)


@pytest.fixture
def refusing_calls() -> Iterator[str]:
    """An MCP endpoint on 127.0.0.1 that starts but refuses tool calls with 403."""
    yield from _serve(_RefusingCalls)


@pytest.mark.anyio
async def test_an_http_server_refusing_names_the_status_and_the_first_line_of_its_body(
    refusing_server: str,
) -> None:
    with pytest.raises(McpServerError) as info:
        async with McpConnections([HttpServerConfig("remote", refusing_server)]):
            pass
    assert info.value.message == (
        f"cannot reach MCP server `remote` at {refusing_server}: HTTP 401 Unauthorized: bad token"
    )


@pytest.mark.anyio
async def test_an_http_server_refusing_a_call_names_the_status_and_the_first_line_of_its_body(
    refusing_calls: str,
) -> None:
    async with McpConnections([HttpServerConfig("remote", refusing_calls)]) as connections:
        [ping] = connections.tools()
        outcome = await call_tool(ping, context(), {}, 10)
    assert outcome.error == (
        "MCP server `remote` refused the call of `ping`: HTTP 403 Forbidden: token expired at 12:00"
    )


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_stdio_server_and_what_it_started_die_with_pytest_killed_by(
    signum: int, tmp_path: Path
) -> None:
    spec = tmp_path / "test_waits.yaml"
    spec.write_text(
        f"""\
test: {{name: Waits}}
mcp_servers:
  counter:
    command: python
    args: [{json.dumps(str(COUNTER))}, --stubborn, --child]
    env: {{PID_FILE: {json.dumps(str(tmp_path / "pids"))}}}
steps:
  - tool: counter_wait
    args: {{seconds: 60}}
"""
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = [sys.executable, "-m", "pytest", "--llm", "-p", "no:cacheprovider", str(spec)]
    pytest_process = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        pids = _wait_for_pids(tmp_path / "pids", pytest_process)
        time.sleep(0.3)  # the tool call is on its way
        pytest_process.send_signal(signum)
        pytest_process.wait(10)
    finally:
        if pytest_process.poll() is None:
            pytest_process.kill()
            pytest_process.wait()
    deadline = time.monotonic() + 5
    while any(map(running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in pids if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"outlived pytest killed by {signal.Signals(signum).name}: {left} of {pids}"


def _wait_for_pids(path: Path, process: subprocess.Popen[bytes]) -> list[int]:
    """The server's pid and its child's, once the server has written them."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().split()) == 2:
            return read_pids(path)
        assert process.poll() is None, "pytest ended before the server started"
        time.sleep(0.05)
    pytest.fail("the server did not start within 60 s")


def test_a_per_run_servers_tool_clashing_with_a_plugin_is_told_at_the_server(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        "plugins/counter.py",
        """\
        from llm_pytest import LLMPlugin


        class Counter(LLMPlugin):
            name = "counter"

            async def bump(self) -> int:
                \"\"\"Count.\"\"\"
                return 1
        """,
    )
    spec = f"test: {{name: Clash, iterations: 2}}\nmcp_servers:\n  {counter()}\n"
    (pytester.path / "test_clash.yaml").write_text(spec + "steps:\n  - tool: counter_bump\n")
    result = run(pytester, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["test_clash.yaml:3:3: MCP server `counter` offers the tool `counter_bump`, a name *"]
    )
    assert "ExceptionGroup" not in result.stdout.str()
