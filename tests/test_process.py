"""Running a program in its own process group: what is left of the group after a normal end."""

from __future__ import annotations

import os
import signal

import pytest

from llm_pytest._process import run_in_own_group
from tests.process_support import assert_killed, running

# The shell starts a child that outlives it by far and prints the child's pid.
DETACHED = "sleep 100 >/dev/null 2>&1 & echo $!"
HOLDING_OUTPUT = "sleep 100 & echo $!"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_keep_leaves_what_the_program_started_running_after_a_normal_exit() -> None:
    run = await run_in_own_group(["sh", "-c", DETACHED], timeout=20, leftovers="keep")
    assert run.exit_code == 0
    child = int(run.stdout)
    assert running(child)
    os.kill(child, signal.SIGKILL)
    await assert_killed(child)


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_kill_ends_the_rest_of_the_group_after_a_normal_exit() -> None:
    run = await run_in_own_group(["sh", "-c", DETACHED], timeout=20, leftovers="kill")
    assert run.exit_code == 0
    await assert_killed(int(run.stdout))


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_kill_waits_for_the_output_so_a_child_holding_it_runs_into_the_timeout() -> None:
    run = await run_in_own_group(["sh", "-c", HOLDING_OUTPUT], timeout=0.5, leftovers="kill")
    assert run.exit_code is None
    await assert_killed(int(run.stdout))


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_kill_at_exit_ends_the_run_when_the_program_exits_and_kills_its_child() -> None:
    run = await run_in_own_group(["sh", "-c", HOLDING_OUTPUT], timeout=20, leftovers="kill_at_exit")
    assert run.exit_code == 0
    await assert_killed(int(run.stdout))


@pytest.mark.anyio
async def test_input_is_written_then_closed_and_a_missing_program_is_an_os_error() -> None:
    run = await run_in_own_group(["cat"], timeout=20, stdin=b"hello", leftovers="kill")
    assert (run.exit_code, run.stdout, run.stderr) == (0, b"hello", b"")
    with pytest.raises(FileNotFoundError):
        await run_in_own_group(["no-such-program-xyz"], timeout=20, leftovers="kill")
