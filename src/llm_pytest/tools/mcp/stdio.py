"""A stdio MCP server as a child process: started, talked to, and always stopped and reaped.

The SDK's own stdio transport hides the process; here the process stays in hand so that a
failure can say how the server exited, and what it last wrote to stderr, and so that stopping
it never leaves a child behind. The child's stderr goes to an unlinked temporary file.

The child leads a session of its own (so stopping it ends everything it started), which also
keeps it out of reach of a signal sent to pytest's process group. So that it never outlives
pytest, even one killed by SIGKILL, a watchdog process kills its group when pytest ends
(``watchdog.py``); every server also sees its stdin close then, which ends most of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from typing import IO

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.os.posix.utilities import terminate_posix_process_tree
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from llm_pytest.tools.mcp import watchdog
from llm_pytest.tools.mcp.config import StdioServerConfig

__all__ = ["ServerProcess", "describe_exit", "resolve_command"]

EXIT_GRACE = 1.0
"""Seconds a server has to exit by itself once its stdin is closed."""
TERMINATE_GRACE = 1.0
"""Seconds between SIGTERM and SIGKILL to the server's process group."""
_REAP_TIMEOUT = 2.0
_TAIL_BYTES = 4096
_TAIL_LINES = 15

Streams = tuple[
    MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]
]


def resolve_command(command: str) -> str:
    """``python``/``python3`` mean the interpreter running llm-pytest (a bare name could resolve
    to another Python on PATH, without the server's packages)."""
    return sys.executable if command in ("python", "python3") else command


def describe_exit(returncode: int) -> str:
    """``exited with code 3``, or ``exited with code -9 (killed by SIGKILL)``."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"exited with code {returncode} (killed by {name})"


class ServerProcess:
    """One started stdio server. :meth:`stop` always runs, ends the process group and reaps."""

    def __init__(self, config: StdioServerConfig) -> None:
        self.config = config
        self.argv = [resolve_command(config.command), *config.args]
        self._process: anyio.abc.Process | None = None
        # Closed by start() on failure, else by stop(), which always runs.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._final_tail = ""
        self.stray_stdout: str | None = None
        """The last line the server wrote to stdout that was not an MCP message."""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    async def start(self) -> None:
        """Spawn the child; an OSError means the command could not be run at all."""
        env: dict[str, str] = {**os.environ, **(self.config.env or {})}
        try:
            self._process = await anyio.open_process(
                self.argv,
                env=env,
                cwd=self.config.cwd,
                stderr=self._stderr,
                start_new_session=sys.platform != "win32",
            )
        except BaseException:
            self._stderr.close()
            raise
        if sys.platform != "win32":
            watchdog.watch(self._process.pid)  # the server leads its process group

    async def wait_exit(self, within: float) -> int | None:
        """The exit code once the process has exited, waiting at most ``within`` seconds."""
        process = self._process
        if process is None:
            return None
        with anyio.move_on_after(within):
            await process.wait()
        return process.returncode

    def stderr_tail(self) -> str:
        """The last lines the server wrote to stderr (empty when it wrote nothing)."""
        if self._stderr.closed:
            return self._final_tail
        fd = self._stderr.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - _TAIL_BYTES)
        # pread leaves the offset alone: the child writes through the same open file.
        text = os.pread(fd, size - start, start).decode(errors="replace")
        lines = text.splitlines()
        if start > 0 and lines:
            lines = lines[1:]  # the first line was cut
        return "\n".join(lines[-_TAIL_LINES:]).strip()

    @contextlib.asynccontextmanager
    async def transport(self) -> AsyncIterator[Streams]:
        """The message streams of the MCP session, pumped to and from the child's pipes."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("ServerProcess.transport() needs a started process")
        read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._pump_stdout, process.stdout, read_writer)
            tg.start_soon(self._pump_stdin, process.stdin, write_reader, read_writer)
            try:
                yield read_stream, write_stream
            finally:
                tg.cancel_scope.cancel()
                for stream in (read_stream, write_stream, read_writer, write_reader):
                    stream.close()

    async def _pump_stdout(
        self,
        stdout: anyio.abc.ByteReceiveStream,
        sink: MemoryObjectSendStream[SessionMessage | Exception],
    ) -> None:
        pending: list[bytes] = []  # the start of a line longer than one read
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            async with sink:
                with contextlib.suppress(anyio.EndOfStream, OSError):
                    while True:
                        chunk = await stdout.receive()
                        if b"\n" not in chunk:
                            pending.append(chunk)
                            continue
                        *lines, rest = b"".join([*pending, chunk]).split(b"\n")
                        pending = [rest]
                        for line in lines:
                            if line.strip():
                                await sink.send(self._parse(line))

    def _parse(self, line: bytes) -> SessionMessage | Exception:
        try:
            return SessionMessage(jsonrpc_message_adapter.validate_json(line, by_name=False))
        except ValueError as exc:
            self.stray_stdout = line.decode(errors="replace").strip()[:200]
            return exc

    async def _pump_stdin(
        self,
        stdin: anyio.abc.ByteSendStream,
        source: MemoryObjectReceiveStream[SessionMessage],
        reader_sink: MemoryObjectSendStream[SessionMessage | Exception],
    ) -> None:
        try:
            async with source:
                async for message in source:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await stdin.send(data.encode() + b"\n")
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            # The child is gone: end the session's reads too, so waiting requests wake up.
            reader_sink.close()

    async def stop(self, *, graceful: bool = True) -> None:
        """End the server: close its stdin and let it exit (when ``graceful``), then
        SIGTERM and SIGKILL its process group, and reap it. Shielded and bounded in time."""
        with anyio.CancelScope(shield=True):
            try:
                process = self._process
                if process is not None:
                    await self._end(process, graceful)
                    watchdog.release(process.pid)
            finally:
                self._final_tail = self.stderr_tail()
                self._stderr.close()

    async def _end(self, process: anyio.abc.Process, graceful: bool) -> None:
        if process.stdin is not None:
            with contextlib.suppress(OSError, anyio.BrokenResourceError):
                await process.stdin.aclose()
        if graceful:
            await self.wait_exit(EXIT_GRACE)
        # Also when the leader has exited: children it left in its group must not outlive it.
        if sys.platform == "win32":
            if process.returncode is None:
                process.kill()
        else:
            await terminate_posix_process_tree(process, TERMINATE_GRACE)
        await self.wait_exit(_REAP_TIMEOUT)
        with anyio.move_on_after(_REAP_TIMEOUT):
            await process.aclose()
