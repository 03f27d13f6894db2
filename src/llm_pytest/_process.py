"""Run a program in a process group of its own, capture its output, and reap it.

The program leads a new session, so its process group holds every process it starts, unless
one leaves it (``setsid``). When the run times out or is cancelled the whole group is killed and,
on Linux, every descendant found in ``/proc`` while the program still ran (those that left the
group too); the program is always reaped (also under cancellation), so nothing it started is
left running behind a failed run. What happens to the group after a normal end is the caller's
choice (:data:`Leftovers`); a caller can learn which processes outlived the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream, Process

__all__ = ["Finished", "Leftovers", "run_in_own_group"]

Leftovers = Literal["keep", "kill", "kill_at_exit"]
"""What becomes of the program's process group when the run ends normally.

``"keep"``: processes it started in the background keep running (only a timeout or a
cancellation kills the group). ``"kill"``: once its output has closed and it has exited, the
rest of its group is killed. ``"kill_at_exit"``: the run ends when the program exits, and its
group is killed at once, so children still holding its output open cannot keep the run waiting.
"""


@dataclass(frozen=True)
class Finished:
    """How a run ended: the program's exit code and everything it printed."""

    exit_code: int | None
    """The program's exit status; None when it ran out of time and its group was killed."""
    stdout: bytes
    stderr: bytes


async def run_in_own_group(
    argv: Sequence[str],
    *,
    timeout: float | None,  # noqa: ASYNC109 - enforced on the whole process group
    stdin: bytes | None = None,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    leftovers: Leftovers,
    output: tuple[bytearray, bytearray] | None = None,
    outlived: list[str] | None = None,
) -> Finished:
    """Run ``argv`` (no shell) and return its exit code and output.

    ``stdin`` is written in full and then closed; without it the program reads end of file at
    once. ``timeout`` None waits without limit; ``env`` None inherits this process's
    environment. ``output``, two buffers that receive stdout and stderr as they arrive, keeps
    what the program printed for a caller that is cancelled. ``outlived`` receives the processes
    of the run still running when it ended (its group left in the background, or processes that
    could not be killed), as ``pid N (command line)``. Raises :class:`OSError` when the
    program cannot be started (not found, not executable, a missing ``cwd``).
    """
    process = await anyio.open_process(
        list(argv),
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    stdout, stderr = output or (bytearray(), bytearray())
    exited = False
    try:
        with anyio.move_on_after(timeout):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_drain, process.stdout, stdout)
                tg.start_soon(_drain, process.stderr, stderr)
                if stdin is not None:
                    tg.start_soon(_feed, process.stdin, stdin)
                if leftovers == "kill_at_exit":
                    await process.wait()
                    exited = True
                    # Children that inherited the pipes would keep the drains waiting.
                    _kill_group(process)
            await process.wait()
            exited = True
    finally:
        if exited and leftovers == "keep":
            left = _group(process.pid)
        else:
            # Timed out or cancelled, the program may have started processes that left its
            # group: they are found while it still runs. After a normal end the leader may be
            # gone while its children still hold the pipes: its group is killed all the same.
            left = _kill(process.pid, descendants=not exited)
        if outlived is not None:
            outlived.extend(left)
        with anyio.CancelScope(shield=True):
            await process.aclose()
    return Finished(process.returncode if exited else None, bytes(stdout), bytes(stderr))


async def _drain(stream: ByteReceiveStream | None, sink: bytearray) -> None:
    if stream is not None:
        async for chunk in stream:
            sink += chunk


async def _feed(stream: ByteSendStream | None, data: bytes) -> None:
    if stream is None:
        return
    # A program that exits without reading its input is not an error of the run.
    with contextlib.suppress(anyio.BrokenResourceError, BrokenPipeError, ConnectionResetError):
        await stream.send(data)
    with contextlib.suppress(anyio.BrokenResourceError, BrokenPipeError, ConnectionResetError):
        await stream.aclose()


def _kill_group(process: Process) -> None:
    _kill(process.pid, descendants=False)


def _kill(leader: int, *, descendants: bool) -> list[str]:
    """Kill ``leader``'s process group, and its descendants outside it when asked; the
    processes that could not be killed, described."""
    # With start_new_session the program leads its own process group: its pid is the group id.
    # The group is stopped first, so that while the descendants are found and killed it can
    # neither start more nor reap them: what is killed becomes an orphan for init to reap.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGSTOP if descendants else signal.SIGKILL)
    left: list[str] = []
    if descendants:
        for pid in _descendants(leader):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            except PermissionError:
                left.append(_described(pid))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader, signal.SIGKILL)
    return left


def _group(leader: int) -> list[str]:
    """The running processes of ``leader``'s group and session, described."""
    try:
        os.killpg(leader, 0)
    except ProcessLookupError:
        return []  # the common case, known without reading /proc
    except PermissionError:
        pass
    return [
        _described(pid)
        for pid, (_, group, session) in _table().items()
        if leader in (group, session) and pid != leader
    ]


def _descendants(leader: int) -> list[int]:
    """The processes descended from ``leader`` or from a member of its group or session, which
    keeps them traceable after a parent of theirs ended (Linux; none found elsewhere)."""
    table = _table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    pending = [leader]
    pending += [pid for pid, (_, group, session) in table.items() if leader in (group, session)]
    found: set[int] = set()
    while pending:
        pid = pending.pop()
        if pid not in found:
            found.add(pid)
            pending.extend(children.get(pid, []))
    found.discard(leader)
    return sorted(found)


def _table() -> dict[int, tuple[int, int, int]]:
    """Every live process in ``/proc``: pid to (parent, process group, session)."""
    table: dict[int, tuple[int, int, int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue  # ended while the table was read
        # The command name, in parentheses, may itself hold spaces and parentheses.
        state, parent, group, session = stat[stat.rindex(b")") + 2 :].split()[:4]
        if state != b"Z":
            table[int(entry)] = (int(parent), int(group), int(session))
    return table


def _described(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            argv = file.read().rstrip(b"\0").split(b"\0")
    except OSError:
        return f"pid {pid}"
    command = " ".join(arg.decode(errors="replace") for arg in argv)
    return f"pid {pid} ({command})" if command else f"pid {pid}"
