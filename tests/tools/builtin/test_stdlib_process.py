"""``run_command`` with real subprocesses, including process groups killed on timeout."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from llm_pytest.errors import ToolError
from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.registry import ToolContext, ToolRegistry
from tests.process_support import FAMILY, assert_family_killed, assert_killed, read_pids

PY = sys.executable


async def run(registry: ToolRegistry, ctx: ToolContext, **args: Any) -> Any:
    assert registry.validate("run_command", args) == []
    return await registry.get("run_command").func(ctx, args)


@pytest.mark.anyio
async def test_output_and_exit_code_are_captured(registry: ToolRegistry, ctx: ToolContext) -> None:
    script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    result = await run(registry, ctx, argv=[PY, "-c", script])
    assert list(result) == ["exit_code", "stdout", "stderr", "duration_ms"]
    assert result["exit_code"] == 3
    assert result["stdout"] == "out\n"
    assert result["stderr"] == "err\n"
    assert result["duration_ms"] > 0


@pytest.mark.anyio
async def test_stdin_is_fed_to_the_command(registry: ToolRegistry, ctx: ToolContext) -> None:
    script = "import sys; print(sys.stdin.read().upper(), end='')"
    result = await run(registry, ctx, argv=[PY, "-c", script], stdin="hello\nworld")
    assert result["stdout"] == "HELLO\nWORLD"


@pytest.mark.anyio
async def test_without_stdin_the_command_reads_end_of_file(
    registry: ToolRegistry, ctx: ToolContext
) -> None:
    result = await run(registry, ctx, argv=[PY, "-c", "import sys; print(repr(sys.stdin.read()))"])
    assert result["stdout"] == "''\n"


@pytest.mark.anyio
async def test_env_is_added_to_the_run_environment(registry: ToolRegistry) -> None:
    ctx = ToolContext(env={**os.environ, "FROM_RUN": "run"})
    script = "import os; print(os.environ['FROM_RUN'], os.environ['FROM_STEP'])"
    result = await run(registry, ctx, argv=[PY, "-c", script], env={"FROM_STEP": "step"})
    assert result["stdout"] == "run step\n"
    await ctx.aclose()


@pytest.mark.anyio
async def test_relative_cwd_is_taken_from_the_spec_directory(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    (tmp_path / "app").mkdir()
    ctx.spec_dir = tmp_path
    result = await run(registry, ctx, argv=[PY, "-c", "import os; print(os.getcwd())"], cwd="app")
    assert result["stdout"].strip() == str(tmp_path / "app")


@pytest.mark.anyio
async def test_a_missing_working_directory_is_named(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    with pytest.raises(ToolError, match=r"working directory .*nowhere"):
        await run(registry, ctx, argv=[PY, "-c", "pass"], cwd=str(tmp_path / "nowhere"))


@pytest.mark.anyio
async def test_a_missing_executable_is_named(registry: ToolRegistry, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="executable not found: no-such-program-xyz"):
        await run(registry, ctx, argv=["no-such-program-xyz", "--help"])


def test_a_shell_string_is_a_schema_error(registry: ToolRegistry) -> None:
    errors = registry.validate("run_command", {"argv": "ls -l"})
    assert errors == ["`args.argv`: expected array, got 'ls -l'"]
    assert registry.validate("run_command", {"argv": []})


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_timeout_kills_the_whole_process_group(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    with pytest.raises(ToolError) as err:
        await run(registry, ctx, argv=["sh", "-c", FAMILY], cwd=str(tmp_path), timeout=1)
    message = str(err.value)
    assert message.startswith("command timed out after 1s: sh -c ")
    assert message.endswith("stdout:\nstarted\n")
    await assert_family_killed(tmp_path)


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_cancelling_the_step_kills_the_whole_process_group(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    with anyio.CancelScope(deadline=anyio.current_time() + 1) as scope:
        await run(registry, ctx, argv=["sh", "-c", FAMILY], cwd=str(tmp_path))
    assert scope.cancelled_caught
    await assert_family_killed(tmp_path)


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_a_command_ended_by_the_calls_deadline_fails_with_its_output_and_a_hint(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    # The command has no timeout of its own: only the call's deadline ends it, so the error
    # always comes from the tool's explanation, never from a race between two timers.
    args = {"argv": ["sh", "-c", FAMILY], "cwd": str(tmp_path)}
    outcome = await call_tool(registry.get("run_command"), ctx, args, 1)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.startswith("command timed out after 1s: sh -c ")
    assert "\nstdout:\nstarted\n" in outcome.error
    assert outcome.error.endswith("so redirect its output (`cmd > log 2>&1 &`)")
    await assert_family_killed(tmp_path)


@pytest.mark.anyio
async def test_a_command_timeout_longer_than_the_call_gives_way_to_the_calls_deadline(
    registry: ToolRegistry, ctx: ToolContext
) -> None:
    args = {"argv": [PY, "-c", "import time; time.sleep(60)"], "timeout": 60}
    outcome = await call_tool(registry.get("run_command"), ctx, args, 0.5)
    assert outcome.error is not None
    assert outcome.error.startswith("command timed out after 0.5s: ")


@pytest.mark.anyio
async def test_a_command_timeout_shorter_than_the_call_ends_the_command_first(
    registry: ToolRegistry, ctx: ToolContext
) -> None:
    args = {"argv": [PY, "-c", "import time; time.sleep(60)"], "timeout": 0.5}
    outcome = await call_tool(registry.get("run_command"), ctx, args, 30)
    assert outcome.error is not None
    assert outcome.error.startswith("command timed out after 0.5s: ")


ESCAPEE = "import os, time; os.setsid(); print(os.getpid(), flush=True); time.sleep(100)"
"""A grandchild that leaves the command's session and process group, then says its pid."""


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_a_grandchild_that_left_the_process_group_is_killed_at_the_timeout(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    # The shell goes on only once the grandchild has left the group, so the kill must find it
    # as a descendant.
    script = f'{PY} -c "{ESCAPEE}" | {{ read pid; echo $pid > pids; echo started; sleep 100; }}'
    with pytest.raises(ToolError) as err:
        await run(registry, ctx, argv=["sh", "-c", script], cwd=str(tmp_path), timeout=2)
    assert str(err.value).startswith("command timed out after 2s: sh -c ")
    assert "stdout:\nstarted\n" in str(err.value)
    (escapee,) = read_pids(tmp_path / "pids")
    await assert_killed(escapee)


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_a_background_process_left_running_is_named_in_the_steps_note(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    args = {
        "argv": ["sh", "-c", "sleep 100 > /dev/null 2>&1 & echo $! > pids"],
        "cwd": str(tmp_path),
    }
    outcome = await call_tool(registry.get("run_command"), ctx, args, 30)
    (sleeper,) = read_pids(tmp_path / "pids")
    try:
        assert outcome.ok
        assert outcome.result["exit_code"] == 0
        assert outcome.note == f"still running after the command ended: pid {sleeper} (sleep 100)"
    finally:
        os.kill(sleeper, signal.SIGKILL)
    await assert_killed(sleeper)


@pytest.mark.anyio
async def test_a_command_that_leaves_nothing_behind_has_no_note(
    registry: ToolRegistry, ctx: ToolContext
) -> None:
    outcome = await call_tool(registry.get("run_command"), ctx, {"argv": ["true"]}, 30)
    assert outcome.ok
    assert outcome.note is None
