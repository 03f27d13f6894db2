"""MCP servers that fail: at startup, mid-run, by hanging; and that they never outlive a test."""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.abc
import pytest

from llm_pytest.errors import ToolError, UsageError
from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.mcp.client import McpConnections, list_server_tools
from llm_pytest.tools.mcp.config import HttpServerConfig, StdioServerConfig
from llm_pytest.tools.mcp.errors import McpServerError
from tests.process_support import read_pids, reaped, running

from .support import context, scripted


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def pid_file(tmp_path: Path) -> Path:
    return tmp_path / "pids"


def with_pids(mode: str, pid_file: Path, name: str = "scripted", **kw: float) -> StdioServerConfig:
    return scripted(mode, name, env={"PID_FILE": str(pid_file)}, **kw)


# --- startup ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_command_that_does_not_exist_names_the_server_and_the_command(
    tmp_path: Path,
) -> None:
    config = StdioServerConfig("notes", "no-such-mcp-server", ("--stdio",), cwd=str(tmp_path))
    with pytest.raises(McpServerError) as info:
        async with McpConnections([config]):
            pass
    message = info.value.message
    assert message.startswith("MCP server `notes` could not be started: No such file")
    assert "command: no-such-mcp-server --stdio" in message
    assert info.value.hint == "check `command` and `cwd` of `notes` in mcp_servers"
    assert isinstance(info.value, ToolError)


@pytest.mark.anyio
async def test_a_server_that_exits_at_once_reports_its_exit_code_and_stderr(
    pid_file: Path,
) -> None:
    with pytest.raises(McpServerError) as info:
        async with McpConnections([with_pids("exit", pid_file)]):
            pass
    message = info.value.message
    assert "MCP server `scripted` exited with code 3 while starting" in message
    assert "  | fatal: NOTES_DB is not set" in message
    assert info.value.hint == "run the command by hand to see the whole error"
    assert reaped(read_pids(pid_file)[0])


@pytest.mark.anyio
async def test_a_server_that_crashes_during_initialize_shows_the_tail_of_its_traceback(
    pid_file: Path,
) -> None:
    with pytest.raises(McpServerError) as info:
        async with McpConnections([with_pids("crash-on-init", pid_file)]):
            pass
    message = info.value.message
    assert "exited with code 4 while starting" in message
    assert "  | RuntimeError: cannot open the notes database" in message
    assert reaped(read_pids(pid_file)[0])


@pytest.mark.anyio
async def test_a_server_that_never_answers_times_out_and_is_killed_with_its_children(
    pid_file: Path,
) -> None:
    config = with_pids("silent", pid_file, startup_timeout=0.5)
    with pytest.raises(McpServerError) as info:
        async with McpConnections([config]):
            pass
    message = info.value.message
    assert message.startswith("MCP server `scripted` did not answer `initialize` within 0.5 s")
    assert "  | warming up the cache..." in message
    assert "'Server starting on stdio'" in message  # what it wrongly wrote to stdout
    assert info.value.hint is not None
    assert "log only to stderr" in info.value.hint
    server, child = read_pids(pid_file)
    assert reaped(server)
    assert not running(child)


@pytest.mark.anyio
async def test_one_server_failing_to_start_stops_the_others(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    configs = [with_pids("serve", good, "good"), with_pids("exit", bad, "bad")]
    with pytest.raises(McpServerError) as info:
        async with McpConnections(configs):
            pass
    assert info.value.server == "bad"
    assert reaped(read_pids(good)[0])


@pytest.mark.anyio
async def test_every_server_that_fails_to_start_is_reported(tmp_path: Path) -> None:
    configs = [scripted("exit", "first"), scripted("crash-on-init", "second")]
    with pytest.raises(McpServerError) as info:
        async with McpConnections(configs):
            pass
    message = info.value.message
    assert message.startswith("2 MCP servers failed to start (`first`, `second`)")
    assert "exited with code 3" in message
    assert "exited with code 4" in message


@pytest.mark.anyio
async def test_http_headers_are_sent_and_a_server_that_hangs_up_is_reported() -> None:
    received: list[bytes] = []

    async def hang_up(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            received.append(await stream.receive())

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        config = HttpServerConfig(
            "remote", f"http://127.0.0.1:{port}/mcp", headers={"X-Api-Key": "s3cret"}
        )
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, hang_up)
            with pytest.raises(McpServerError) as info:
                async with McpConnections([config]):
                    pass
            tg.cancel_scope.cancel()
    assert info.value.message.startswith(
        f"cannot reach MCP server `remote` at http://127.0.0.1:{port}/mcp: "
    )
    assert info.value.hint is not None
    assert b"x-api-key: s3cret" in received[0].lower()


# --- during a run -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_server_exiting_mid_run_fails_the_running_and_later_calls_at_once(
    pid_file: Path,
) -> None:
    ctx = context()
    async with McpConnections([with_pids("serve", pid_file)]) as connections:
        tools = {tool.name: tool for tool in connections.tools()}
        failures: list[McpServerError] = []

        async def hang() -> None:
            with pytest.raises(McpServerError) as info:
                await tools["scripted_hang"].func(ctx, {})
            failures.append(info.value)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(hang)
                with pytest.raises(McpServerError) as info:
                    await tools["scripted_exit"].func(ctx, {"code": 7})
                failures.append(info.value)
            with pytest.raises(McpServerError) as info:
                await tools["scripted_ping"].func(ctx, {})
            failures.append(info.value)

        assert reaped(read_pids(pid_file)[0])
    assert len(failures) == 3
    for failure in failures:
        assert "MCP server `scripted` exited with code 7" in failure.message
        assert "  | fatal: the disk is full, exiting with 7" in failure.message
    calls = sorted(f.message.split("(calling `")[1].split("`")[0] for f in failures)
    assert calls == ["exit", "hang", "ping"]


@pytest.mark.anyio
async def test_a_cancelled_call_is_cancelled_on_the_wire_and_the_session_stays_usable() -> None:
    ctx = context()
    async with McpConnections([scripted("serve")]) as connections:
        tools = {tool.name: tool for tool in connections.tools()}
        with pytest.raises(TimeoutError), anyio.fail_after(0.3):
            await tools["scripted_hang"].func(ctx, {})
        cancelled = await tools["scripted_cancelled"].func(ctx, {})
        assert await tools["scripted_ping"].func(ctx, {}) == "pong"
    assert len(cancelled) == 1  # the server got notifications/cancelled for the hung request


@pytest.mark.anyio
async def test_a_call_past_its_deadline_fails_with_the_tail_of_the_servers_stderr() -> None:
    ctx = context()
    async with McpConnections([scripted("serve")]) as connections:
        tools = {tool.name: tool for tool in connections.tools()}
        with anyio.fail_after(10):
            outcome = await call_tool(tools["scripted_hang"], ctx, {}, 0.3)
    assert not outcome.ok
    assert outcome.error == (
        "timed out after 0.3s\n"
        "MCP server `scripted` had not answered\n"
        "stderr of the server (last lines):\n"
        "  | waiting for a lock that never frees"
    )


@pytest.mark.anyio
async def test_concurrent_calls_share_one_session() -> None:
    ctx = context()
    async with McpConnections([scripted("serve")]) as connections:
        [ping] = [tool for tool in connections.tools() if tool.name == "scripted_ping"]
        answers: list[str] = []

        async def call() -> None:
            answers.append(await ping.func(ctx, {}))

        async with anyio.create_task_group() as tg:
            for _ in range(25):
                tg.start_soon(call)
    assert answers == ["pong"] * 25


@pytest.mark.anyio
async def test_a_long_answer_arrives_whole() -> None:
    long_text = "0123456789abcdef" * 40_000  # many pipe reads for one line
    async with McpConnections([scripted("serve")]) as connections:
        [echo] = [tool for tool in connections.tools() if tool.name == "scripted_echo"]
        assert await echo.func(context(), {"text": long_text}) == long_text


@pytest.mark.anyio
async def test_an_answer_that_breaks_the_tools_output_schema_is_a_tool_error() -> None:
    async with McpConnections([scripted("serve")]) as connections:
        [tool] = [tool for tool in connections.tools() if tool.name == "scripted_bad_shape"]
        with pytest.raises(ToolError) as info:
            await tool.func(context(), {})
    assert not isinstance(info.value, McpServerError)
    assert info.value.message.startswith(
        "MCP server `scripted` gave an unusable answer to `bad_shape`: RuntimeError: "
        "Invalid structured content returned by tool bad_shape"
    )


# --- leaving ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_leaving_reaps_the_server_when_the_body_raised(pid_file: Path) -> None:
    with pytest.raises(RuntimeError, match="step failed"):
        async with McpConnections([with_pids("serve", pid_file)]):
            raise RuntimeError("step failed")
    assert reaped(read_pids(pid_file)[0])


@pytest.mark.anyio
async def test_leaving_reaps_the_server_when_the_body_was_cancelled(pid_file: Path) -> None:
    with anyio.CancelScope() as scope:
        async with McpConnections([with_pids("serve", pid_file)]):
            scope.cancel()
            await anyio.sleep_forever()
    assert scope.cancelled_caught
    assert reaped(read_pids(pid_file)[0])


@pytest.mark.anyio
async def test_leaving_reaps_the_server_on_keyboard_interrupt(pid_file: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        async with McpConnections([with_pids("serve", pid_file)]):
            raise KeyboardInterrupt
    assert reaped(read_pids(pid_file)[0])


@pytest.mark.anyio
async def test_cancelling_a_start_in_progress_stops_the_server_at_once(pid_file: Path) -> None:
    with anyio.move_on_after(0.3) as scope:
        async with McpConnections([with_pids("mute", pid_file, startup_timeout=60)]):
            pytest.fail("a server that never answers cannot have started")
    assert scope.cancelled_caught
    assert reaped(read_pids(pid_file)[0])


@pytest.mark.anyio
async def test_no_servers_means_no_tools() -> None:
    async with McpConnections([]) as connections:
        assert connections.tools() == []


@pytest.mark.anyio
async def test_a_call_after_leaving_says_the_server_is_closed() -> None:
    async with McpConnections([scripted("serve")]) as connections:
        [ping] = [tool for tool in connections.tools() if tool.name == "scripted_ping"]
    with pytest.raises(McpServerError, match="is closed: `ping` was called after its test ended"):
        await ping.func(context(), {})


# --- tools --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_server_tools_are_named_after_the_server_with_a_dotted_alias() -> None:
    listed = await list_server_tools([scripted("serve", "probe")])
    tools = listed["probe"]
    assert [tool.name for tool in tools] == [
        "probe_ping",
        "probe_hang",
        "probe_cancelled",
        "probe_echo",
        "probe_bad_shape",
        "probe_exit",
    ]
    exit_tool = tools[-1]
    assert exit_tool.aliases == ("probe.exit",)
    assert exit_tool.source == "mcp:probe"
    assert exit_tool.description == "Exit at once with `code`, without answering."
    assert exit_tool.input_schema == {
        "type": "object",
        "properties": {"code": {"type": "integer"}},
    }
    assert not exit_tool.blocking


def test_two_servers_with_one_name_are_refused() -> None:
    with pytest.raises(UsageError, match="MCP server `twin` is declared twice"):
        McpConnections([scripted("serve", "twin"), scripted("serve", "twin")])
