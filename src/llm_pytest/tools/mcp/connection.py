"""One live session with one MCP server: started, called (concurrently), explained when it fails.

A :class:`ServerConnection` runs inside a task that ``McpConnections`` owns from start to close,
because the SDK's session must be entered and left by one task.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any, TypeVar

import anyio
import anyio.abc
import anyio.lowlevel
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, Implementation
from mcp_types import Tool as McpTool

from llm_pytest._version import __version__
from llm_pytest.errors import ToolError
from llm_pytest.tools.mcp.config import HttpServerConfig, McpServerConfig, StdioServerConfig
from llm_pytest.tools.mcp.errors import McpServerError, with_stderr
from llm_pytest.tools.mcp.features import ClientFeatures, Exchange
from llm_pytest.tools.mcp.http_status import HttpStatusLog
from llm_pytest.tools.mcp.results import content_block, content_text, tool_value
from llm_pytest.tools.mcp.sampling import SamplingAnswerer
from llm_pytest.tools.mcp.stdio import ServerProcess, describe_exit

__all__ = ["ServerConnection"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

CLIENT_INFO = Implementation(name="llm-pytest", version=__version__)
_EXIT_WAIT = 1.0  # seconds to wait for the exit code of a server whose stdout closed
_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)  # a tool call may stream for long
_HTTP_REFUSED = "Server returned an error response"  # the SDK's words for any HTTP error status


class ServerConnection:
    """A session with the server ``config`` describes; :meth:`run` owns its whole life."""

    def __init__(self, config: McpServerConfig, sampler: SamplingAnswerer | None = None) -> None:
        self.config = config
        self.name = config.name
        self.process: ServerProcess | None = None
        self.tools: list[McpTool] = []
        self._client: Client | None = None
        self._closing = anyio.Event()
        self._started = False
        self._step = "start"
        self._http_status = HttpStatusLog()
        self.features = ClientFeatures(config.name, config.client, sampler)

    async def run(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        """Start the server and session, report started, serve until :meth:`close`, then stop.

        A startup failure raises :class:`McpServerError` before ``started``; nothing is left
        running then.
        """
        stack = AsyncExitStack()
        failure: tuple[Exception, int | None] | None = None
        # One scope for the whole life, so the session's task groups nest inside it; its
        # deadline bounds the startup only.
        with anyio.CancelScope(deadline=anyio.current_time() + self.config.startup_timeout) as life:
            try:
                await self._open(stack)
            except Exception as exc:
                failure = (exc, await self._exit_code_after(exc))
            else:
                life.deadline = math.inf
                self._started = True
                task_status.started()
                await self._closing.wait()
            finally:
                await self._unwind(stack)
        if failure is not None:
            raise self._startup_error(*failure) from None
        if life.cancelled_caught:
            raise self._timeout_error()

    def close(self) -> None:
        """Let :meth:`run` end the session and stop the server."""
        self._closing.set()

    async def call(
        self, tool: str, args: dict[str, Any], output_schema: Any, details: dict[str, Any]
    ) -> Any:
        """Call ``tool`` with ``args`` (with a progress token); the value of its result
        (``results.tool_value``). ``details`` receives the result's raw ``text``, its
        ``content`` blocks as plain data (also for a result with ``isError``), and the
        ``progress``, ``logs`` and ``requests`` of the server during the call."""
        with self.exchange(details) as exchange:
            result = await self.request(
                f"`{tool}`",
                lambda client: client.call_tool(tool, args, progress_callback=exchange.on_progress),
            )
            await anyio.lowlevel.checkpoint()  # notifications read with the answer
        details["text"] = content_text(result)
        details["content"] = [content_block(block) for block in result.content]
        return tool_value(result, output_schema)

    @contextmanager
    def exchange(self, details: dict[str, Any]) -> Iterator[Exchange]:
        """Record what the server sends while the block runs (progress, log messages, its own
        requests) into ``details``, also when the block fails. A request of the server that
        nothing could answer (``sampling: judge`` without a judge LLM) fails the block, even
        when the server carried on without the answer."""
        exchange = self.features.begin()
        try:
            yield exchange
        finally:
            self.features.end(exchange)
            details.update(exchange.details())
        if exchange.unavailable is not None:
            raise ToolError(exchange.unavailable)

    async def request(self, what: str, send: Callable[[Client], Awaitable[T]]) -> T:
        """``send(client)``, for ``what`` (a tool, a method); a closed or lost session, a refusal
        and an answer the SDK cannot accept raise errors that say so."""
        client = self._client
        if self._closing.is_set():
            raise McpServerError(
                self.name,
                f"MCP server `{self.name}` is closed: {what} was called after its test ended",
            )
        if client is None or (self.process is not None and self.process.returncode is not None):
            raise await self._lost_error(what)
        try:
            return await send(client)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                raise await self._lost_error(what) from None
            reason = self._http_status.last if exc.message == _HTTP_REFUSED else None
            raise ToolError(
                f"MCP server `{self.name}` refused the call of {what}: {reason or exc.message}"
            ) from None
        except Exception as exc:
            # Results the SDK cannot accept: malformed, or not matching the output schema.
            raise ToolError(
                f"MCP server `{self.name}` gave an unusable answer to {what}: {_explain(exc)}"
            ) from None

    @property
    def client(self) -> Client | None:
        """The live session (None before start and after close)."""
        return self._client

    def timeout_detail(self) -> str | None:
        """For a call that ran out of time: that the server did not answer, and its stderr."""
        if self.process is None:
            return None
        what = f"MCP server `{self.name}` had not answered"
        if self.process.returncode is not None:
            what = f"MCP server `{self.name}` {describe_exit(self.process.returncode)}"
        return self._with_output(what)

    async def _open(self, stack: AsyncExitStack) -> None:
        config = self.config
        if isinstance(config, StdioServerConfig):
            process = ServerProcess(config)
            await process.start()
            self.process = process
            stack.push_async_callback(self._stop_process)
            transport: Any = process.transport()
        else:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(
                    headers=dict(config.headers),
                    timeout=_HTTP_TIMEOUT,
                    event_hooks={"response": [self._http_status]},
                )
            )
            transport = streamable_http_client(config.url, http_client=http)
        self._step = "answer `initialize`"
        # The handshake every server speaks, whatever SDK or protocol revision it is built on.
        client = Client(
            transport,
            mode="legacy",
            cache=None,
            client_info=CLIENT_INFO,
            **self.features.callbacks(),
        )
        await stack.enter_async_context(client)
        self._step = "list its tools"
        cursor: str | None = None
        while True:
            page = await client.list_tools(cursor=cursor)
            self.tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        self._client = client

    async def _stop_process(self) -> None:
        if self.process is not None:
            # A server that never came up gets no grace period to exit by itself.
            await self.process.stop(graceful=self._started)

    async def _unwind(self, stack: AsyncExitStack) -> None:
        self._client = None
        try:
            await stack.aclose()
        except Exception:
            # A server that misbehaves while being closed must not hide the test's outcome;
            # its process is stopped and reaped by a shielded step regardless.
            logger.debug("closing MCP server %s failed", self.name, exc_info=True)

    async def _exit_code_after(self, exc: Exception) -> int | None:
        """The server's exit code, when ``exc`` came from the server having exited."""
        if self.process is None:
            return None
        lost = any(isinstance(e, MCPError) and e.code == CONNECTION_CLOSED for e in _leaves(exc))
        return await self.process.wait_exit(_EXIT_WAIT if lost else 0.0)

    def _startup_error(self, exc: Exception, exit_code: int | None) -> McpServerError:
        config, what = self.config, f"MCP server `{self.name}`"
        if isinstance(config, HttpServerConfig):
            return McpServerError(
                self.name,
                f"cannot reach {what} at {config.url}: {self._http_status.last or _explain(exc)}",
                hint="start the server before the tests and check `url` and `headers` "
                "(streamable HTTP endpoints usually end in /mcp)",
            )
        command = self._command()
        if isinstance(exc, OSError) and self.process is None:
            target = f" ({exc.filename})" if exc.filename else ""
            return McpServerError(
                self.name,
                f"{what} could not be started: {exc.strerror or exc}{target}\n"
                f"command: {command}\nworking directory: {config.cwd or os.getcwd()}",
                hint=f"check `command` and `cwd` of `{self.name}` in mcp_servers",
            )
        if exit_code is not None:
            message = f"{what} {describe_exit(exit_code)} while starting\ncommand: {command}"
            hint = "run the command by hand to see the whole error"
        else:
            message = f"{what} failed while starting: {_explain(exc)}\ncommand: {command}"
            hint = "check that the command starts an MCP server that speaks over stdio"
        return McpServerError(self.name, self._with_output(message), hint)

    def _timeout_error(self) -> McpServerError:
        timeout = self.config.startup_timeout
        message = f"MCP server `{self.name}` did not {self._step} within {timeout:g} s"
        if isinstance(self.config, HttpServerConfig):
            return McpServerError(
                self.name,
                f"{message} (at {self.config.url})",
                hint="check that the URL is a streamable HTTP MCP endpoint",
            )
        return McpServerError(
            self.name,
            self._with_output(f"{message}\ncommand: {self._command()}"),
            hint="a stdio MCP server must answer on stdout and log only to stderr; "
            "run the command by hand to see whether it starts",
        )

    async def _lost_error(self, calling: str) -> McpServerError:
        what = f"MCP server `{self.name}`"
        if self.process is None:
            url = getattr(self.config, "url", "")
            return McpServerError(
                self.name,
                f"lost the connection to {what} at {url} (calling {calling})",
                hint="the server stopped or closed the session; check its own log",
            )
        exit_code = await self.process.wait_exit(_EXIT_WAIT)
        how = "closed its stdout" if exit_code is None else describe_exit(exit_code)
        return McpServerError(
            self.name,
            self._with_output(f"{what} {how} (calling {calling})"),
            hint="the server crashed; every later call to it fails too",
        )

    def _command(self) -> str:
        if self.process is not None:
            return " ".join(self.process.argv)
        return self.config.describe()

    def _with_output(self, message: str) -> str:
        if self.process is None:
            return message
        return with_stderr(message, self.process.stderr_tail(), self.process.stray_stdout)


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (possibly nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _explain(exc: Exception) -> str:
    parts = []
    for leaf in _leaves(exc):
        text = leaf.message if isinstance(leaf, MCPError) else str(leaf)
        parts.append(f"{type(leaf).__name__}: {text}" if text else type(leaf).__name__)
    return "; ".join(parts)
