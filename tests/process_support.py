"""Checks that processes a tool or server started are gone: pid files, liveness, and waits for
killed children that this process adopted (see the ``subreaper`` fixture in ``conftest.py``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

FAMILY = (
    "echo $$ > pids; sleep 100 & echo $! >> pids; sleep 100 & echo $! >> pids; echo started; wait"
)
"""A shell script (run in the working directory it writes ``pids`` to) that records its own pid
and those of two children that would outlive it by far."""


def read_pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie left to an init that does not reap is dead)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def reaped(pid: int) -> bool:
    """Whether ``pid`` is gone entirely: it exited and its parent collected its exit status."""
    return not Path(f"/proc/{pid}").exists()


async def assert_killed(pid: int) -> None:
    """Wait (bounded) for an adopted process to end, and check SIGKILL ended it."""
    with anyio.fail_after(10):
        _, status = await anyio.to_thread.run_sync(os.waitpid, pid, 0, abandon_on_cancel=True)
    assert os.WIFSIGNALED(status)
    assert os.WTERMSIG(status) == signal.SIGKILL
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def assert_family_killed(directory: Path) -> None:
    """The :data:`FAMILY` shell that ran in ``directory`` was killed and reaped by the tool, and
    both its children were killed with it (the test needs the ``subreaper`` fixture)."""
    shell, *children = read_pids(directory / "pids")
    with pytest.raises(ProcessLookupError):
        os.kill(shell, 0)
    assert len(children) == 2
    for pid in children:
        await assert_killed(pid)
