"""An MCP server exposing the tools of a ToolRegistry (agent mode, `llm-pytest mcp serve`).

Each tool keeps its own JSON Schema. State is per connection, as it is per run in the
interpreter: every connection gets its own :class:`ToolContext` (``store_value`` in one
connection is not seen by another), closed when the connection ends. A connection is the
stream of a stdio (or in-memory) client, or the session of a streamable HTTP client; a
stateless HTTP request (no session) gets a fresh context of its own. Over HTTP, only a client
sending the server's bearer token is answered (:mod:`~llm_pytest.tools.mcp.bearer`).

Every call goes through :func:`~llm_pytest.tools.calls.call_tool`, as the interpreter's do: it
may take the seconds ``timeouts`` gives its tool, else the server's ``timeout``; a blocking tool
that outlives them is abandoned in its thread. A tool that fails or runs out of time gives an
``isError`` result carrying the error's message.

Agent mode passes one ``context`` (the run's state, which it owns and closes) and an
``observer`` that sees every call as it finishes (:class:`ServedCall`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import pydantic_core
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
)
from mcp_types import Tool as McpTool
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from llm_pytest._version import __version__
from llm_pytest.errors import ToolError
from llm_pytest.tools.calls import DEFAULT_CALL_TIMEOUT, call_tool, error_text, error_types
from llm_pytest.tools.mcp.bearer import RequireBearer
from llm_pytest.tools.registry import Tool, ToolContext, ToolRegistry

__all__ = ["CallObserver", "ServedCall", "ToolServer", "build_server"]

RegistrySource = Callable[[], ToolRegistry] | ToolRegistry
_SESSION_HEADER = "mcp-session-id"


@dataclass(frozen=True, slots=True)
class ServedCall:
    """One tool call the server answered: what was asked, and what came of it."""

    tool: str
    """The tool name the client asked for."""
    args: dict[str, Any]
    ok: bool
    result: Any
    """The tool's return value (None when the call failed)."""
    error: str | None
    """The text of the ``isError`` result sent back, when the call failed."""
    started: float
    """When the call arrived (``time.perf_counter()``): calls finish out of order when a client
    makes several at once."""
    duration_ms: float
    stored: dict[str, Any]
    """The connection's ``stored`` values just after the call (a shallow copy)."""
    error_types: tuple[str, ...] = ()
    """The names of the failure's class and its bases, most specific first."""
    refused: bool = False
    """The call was refused before any tool ran: an unknown tool or invalid arguments."""
    details: dict[str, Any] = field(default_factory=dict)
    """What the tool told about the call (:attr:`ToolContext.details`)."""


CallObserver = Callable[[ServedCall], None]


def build_server(
    make_registry: RegistrySource,
    *,
    name: str = "llm-pytest",
    context: ToolContext | None = None,
    observer: CallObserver | None = None,
    timeout: float = DEFAULT_CALL_TIMEOUT,
    timeouts: Mapping[str, float] | None = None,
) -> ToolServer:
    """A server exposing every tool of the registry; a callable is called once per connection.

    With ``context``, every connection shares that state and the server never closes it (its
    owner does); ``observer`` is called after every tool call, in the order calls finish. A call
    may take ``timeouts[tool name]`` seconds, else ``timeout``.
    """
    return ToolServer(
        make_registry,
        name=name,
        context=context,
        observer=observer,
        timeout=timeout,
        timeouts=timeouts,
    )


@dataclass
class _Session:
    """What one connection sees: its tools and its run state."""

    registry: ToolRegistry
    context: ToolContext
    listing: ListToolsResult | None = None
    owns_context: bool = True


@dataclass
class _Sessions:
    """The sessions of one server lifespan, by key ("" for the one stream connection)."""

    make_registry: RegistrySource
    context: ToolContext | None = None
    open: dict[str, _Session] = field(default_factory=dict)

    def get(self, key: str) -> _Session:
        session = self.open.get(key)
        if session is None:
            session = self.open[key] = self.new()
        return session

    def new(self) -> _Session:
        source = self.make_registry
        registry = source if isinstance(source, ToolRegistry) else source()
        if self.context is not None:
            return _Session(registry, self.context, owns_context=False)
        return _Session(registry, ToolContext(env=_environment()))

    async def end(self, key: str) -> None:
        session = self.open.pop(key, None)
        if session is not None:
            await _close(session)

    async def end_all(self) -> None:
        while self.open:
            await self.end(next(iter(self.open)))


class ToolServer(Server[_Sessions]):
    """The MCP server of :func:`build_server`; also usable as ``mcp.Client(server)`` in-process."""

    def __init__(
        self,
        make_registry: RegistrySource,
        *,
        name: str,
        context: ToolContext | None = None,
        observer: CallObserver | None = None,
        timeout: float = DEFAULT_CALL_TIMEOUT,
        timeouts: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(
            name,
            version=__version__,
            lifespan=self._lifespan,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )
        self._make_registry = make_registry
        self._context = context
        self._observer = observer
        self._timeout = timeout
        self._timeouts: Mapping[str, float] = timeouts or {}
        self._lifespans: list[_Sessions] = []

    @asynccontextmanager
    async def _lifespan(self, _server: Server[_Sessions]) -> AsyncIterator[_Sessions]:
        # Entered once per stdio or in-memory connection, once for a whole HTTP app.
        sessions = _Sessions(self._make_registry, self._context)
        self._lifespans.append(sessions)
        try:
            yield sessions
        finally:
            self._lifespans.remove(sessions)
            with anyio.CancelScope(shield=True):
                await sessions.end_all()

    async def run_stdio(self) -> None:
        """Serve one client over this process's stdin and stdout until it disconnects."""
        async with stdio_server() as (read_stream, write_stream):
            await self.run(read_stream, write_stream, self.create_initialization_options())

    def http_app(self, *, token: str, host: str = "127.0.0.1") -> Starlette:
        """The streamable HTTP app (endpoint ``/mcp``), answering only requests that carry
        ``Authorization: Bearer <token>``; a session's state ends with it."""
        app = self.streamable_http_app(host=host)
        app.add_middleware(_EndSessionOnDelete, end_session=self._end_http_session)
        # Added last, so it runs first: a refused request reaches nothing else.
        app.add_middleware(RequireBearer, token=token)
        return app

    async def serve_http(self, host: str, port: int, *, token: str) -> None:
        """Serve streamable HTTP on ``http://host:port/mcp`` (see :meth:`http_app`) until
        interrupted."""
        import uvicorn

        app = self.http_app(token=token, host=host)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning")
        await uvicorn.Server(config).serve()

    async def _end_http_session(self, session_id: str) -> None:
        for sessions in self._lifespans:
            await sessions.end(session_id)

    async def _list_tools(
        self, ctx: ServerRequestContext[_Sessions], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        session, stateless = self._session(ctx)
        try:
            if session.listing is None:
                session.listing = ListToolsResult(tools=[_describe(t) for t in session.registry])
            return session.listing
        finally:
            if stateless:
                await _close(session)

    async def _call_tool(
        self, ctx: ServerRequestContext[_Sessions], params: CallToolRequestParams
    ) -> CallToolResult:
        session, stateless = self._session(ctx)
        try:
            args = dict(params.arguments or {})
            started = time.perf_counter()
            answer = await _run(session, params.name, args, ctx, self._limit)
            if self._observer is not None:
                self._observer(
                    ServedCall(
                        tool=params.name,
                        args=args,
                        ok=not answer.result.is_error,
                        result=answer.value,
                        error=answer.error,
                        started=started,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        stored=dict(session.context.stored),
                        error_types=answer.error_types,
                        refused=answer.refused,
                        details=answer.details,
                    )
                )
            return answer.result
        finally:
            if stateless:
                await _close(session)

    def _limit(self, tool: Tool) -> float:
        return self._timeouts.get(tool.name, self._timeout)

    def _session(self, ctx: ServerRequestContext[_Sessions]) -> tuple[_Session, bool]:
        """The caller's session, and whether it lives for this request only."""
        sessions = ctx.lifespan_context
        request = ctx.request
        if request is None:
            return sessions.get(""), False
        session_id = request.headers.get(_SESSION_HEADER)
        if session_id is None:
            return sessions.new(), True
        return sessions.get(session_id), False


@dataclass(frozen=True, slots=True)
class _Answer:
    """The result to send, the tool's own return value (None when it failed) and the error as
    a step's record words it (the client is sent the error's full rendering)."""

    result: CallToolResult
    value: Any = None
    error: str | None = None
    error_types: tuple[str, ...] = ()
    refused: bool = False
    details: dict[str, Any] = field(default_factory=dict)


async def _run(
    session: _Session,
    name: str,
    args: dict[str, Any],
    ctx: ServerRequestContext[_Sessions],
    limit: Callable[[Tool], float],
) -> _Answer:
    """The answer to one call, through the one call path (deadline, blocking thread, timeout
    explanation)."""
    registry = session.registry
    try:
        tool = registry.get(name)
        problems = registry.validate(name, args)
        if problems:
            raise ToolError(f"invalid arguments for `{name}`: " + "; ".join(problems))
    except ToolError as exc:
        return _Answer(_error(exc.render()), error=error_text(exc), refused=True)
    outcome = await call_tool(tool, session.context, args, limit(tool))
    failure = outcome.failure
    if failure is None:
        modern = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
        value = outcome.result
        return _Answer(_result(value, modern=modern), value, details=outcome.details)
    if isinstance(failure, ToolError):
        shown, error = failure.render(), error_text(failure)
    else:
        shown = error = (
            f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
        )
    return _Answer(
        _error(shown), error=error, error_types=error_types(failure), details=outcome.details
    )


def _result(value: Any, *, modern: bool) -> CallToolResult:
    """Text content always; structured content for a mapping (and a list, where the protocol
    revision allows structured content that is not an object)."""
    data = pydantic_core.to_jsonable_python(value, fallback=str, inf_nan_mode="null")
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    structured = data if isinstance(data, dict) or (modern and isinstance(data, list)) else None
    return CallToolResult(content=[TextContent(text=text)], structured_content=structured)


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(text=text)], is_error=True)


def _describe(tool: Tool) -> McpTool:
    return McpTool(
        name=tool.name,
        description=tool.description,
        input_schema=dict(tool.input_schema),
        output_schema=dict(tool.output_schema) if tool.output_schema is not None else None,
    )


async def _close(session: _Session) -> None:
    if not session.owns_context:
        return
    with anyio.CancelScope(shield=True):
        await session.context.aclose()


def _environment() -> Mapping[str, str]:
    return dict(os.environ)


class _EndSessionOnDelete:
    """ASGI middleware: a client's DELETE ends its HTTP session; its state is closed first, so
    the session's cleanups have run when the client sees the answer."""

    def __init__(self, app: ASGIApp, end_session: Callable[[str], Awaitable[None]]) -> None:
        self.app = app
        self.end_session = end_session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            session_id = Headers(scope=scope).get(_SESSION_HEADER)
            if session_id is not None:
                await self.end_session(session_id)
        await self.app(scope, receive, send)
