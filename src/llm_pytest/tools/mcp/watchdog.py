"""A small process that kills the process groups of the stdio MCP servers still running when
this process ends, however it ends (SIGKILL included).

Each server leads a session of its own, so that stopping it stops everything it started; but
then nothing stops them when pytest is killed. Linux's parent-death signal (``PR_SET_PDEATHSIG``)
would reach only the server itself, not a program it started (``npx`` starts ``node``, which
does not exit when its stdin closes), and setting it needs a ``preexec_fn``, which makes every
start fork all of pytest instead of spawning. So one watchdog per process is started with the
first server: it reads ``+PGID`` and ``-PGID`` lines from a pipe whose writing end only this
process holds, and when that pipe closes (this process ended) it kills every group still listed.
It lives in a session of its own and ignores the signals a terminal or a CI runner sends, so it
outlives the process it watches, for that moment only.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading

__all__ = ["release", "watch"]

_SCRIPT = """\
import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
groups = set()
for line in sys.stdin.buffer:
    try:
        group = int(line[1:])
    except ValueError:
        continue
    if line[:1] == b"+":
        groups.add(group)
    else:
        groups.discard(group)
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""

_lock = threading.Lock()
_pipe: tuple[int, int] | None = None
"""The pid of the process that started the watchdog, and the pipe's writing end."""
_process: subprocess.Popen[bytes] | None = None


def watch(group: int) -> None:
    """Have the watchdog kill process group ``group`` if this process ends first."""
    _send(b"+%d\n" % group, start=True)


def release(group: int) -> None:
    """The group has been stopped: the watchdog forgets it."""
    _send(b"-%d\n" % group, start=False)


def _send(line: bytes, *, start: bool) -> None:
    if sys.platform == "win32":
        return
    with _lock:
        fd = _writer(start)
        if fd is None:
            return
        try:
            os.write(fd, line)
        except OSError:
            # The watchdog is gone (killed by hand): servers still stop with their tests.
            _forget()


def _writer(start: bool) -> int | None:
    global _pipe, _process
    if _pipe is not None and _pipe[0] == os.getpid():
        return _pipe[1]
    if not start:
        return None
    # A forked child (a pytest-xdist worker) gets a watchdog of its own.
    reader, writer = os.pipe()  # not inherited by the servers (PEP 446)
    try:
        _process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _SCRIPT],
            stdin=reader,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        os.close(writer)
        return None
    finally:
        os.close(reader)
    _pipe = (os.getpid(), writer)
    atexit.register(_stop)
    return writer


def _stop() -> None:
    """At a normal exit: close the pipe, so the watchdog ends now, and reap it."""
    owner = _pipe is not None and _pipe[0] == os.getpid()
    _forget()
    process = _process
    if owner and process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=2)


def _forget() -> None:
    global _pipe
    if _pipe is not None:
        with contextlib.suppress(OSError):
            os.close(_pipe[1])
    _pipe = None
