"""Run a program in a process group of its own, capture its output, and reap it.

The program leads a new session, so its process group holds every process it starts. When the
run times out or is cancelled the whole group is killed, and the program is always reaped (also
under cancellation), so nothing it started is left running behind a failed run. What happens to
the group after a normal end is the caller's choice (:data:`Leftovers`).
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
) -> Finished:
    """Run ``argv`` (no shell) and return its exit code and output.

    ``stdin`` is written in full and then closed; without it the program reads end of file at
    once. ``timeout`` None waits without limit; ``env`` None inherits this process's
    environment. ``output``, two buffers that receive stdout and stderr as they arrive, keeps
    what the program printed for a caller that is cancelled. Raises :class:`OSError` when the
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
        if not exited or leftovers != "keep":
            # Timed out or cancelled, the leader may be gone while its children still hold
            # the pipes: the group is killed either way.
            _kill_group(process)
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
    # With start_new_session the program leads its own process group: its pid is the group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
