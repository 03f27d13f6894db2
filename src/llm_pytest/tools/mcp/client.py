"""The MCP servers of a spec as tools: start them, expose their tools, stop them.

::

    async with McpConnections(configs) as conns:
        registry = registry.extended(conns.tools())
        ...  # runs call the tools, concurrently if they like

Every server tool becomes a :class:`~llm_pytest.tools.registry.Tool` named
``<server>_<tool>`` (alias ``<server>.<tool>``), so the interpreter needs no MCP-specific code.
A tool whose name already starts with ``<server>_`` (mcp-server-git's ``git_status`` for a
server declared as ``git``) is also named by its own name. A name two tools would share (server
``a`` tool ``b_c`` and server ``a_b`` tool ``c``) names neither: calling it fails listing both,
with the dotted names that tell them apart.
Cancelling the task that awaits a call cancels the call on the wire
(``notifications/cancelled``) and leaves the session usable.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
from mcp_types import Tool as McpTool

from llm_pytest.errors import ToolError, UsageError
from llm_pytest.tools.arguments import ArgumentCheck
from llm_pytest.tools.mcp.config import McpServerConfig
from llm_pytest.tools.mcp.connection import ServerConnection
from llm_pytest.tools.mcp.errors import McpServerError
from llm_pytest.tools.mcp.features import exchange_note
from llm_pytest.tools.mcp.protocol import reset_servers, set_servers
from llm_pytest.tools.mcp.sampling import SamplingAnswerer
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = [
    "AmbiguousTool",
    "McpConnections",
    "UncheckedTool",
    "disambiguated",
    "list_server_tools",
    "tool_name",
    "tool_names",
]


def tool_name(server: str, tool: str) -> str:
    """The name a spec uses for ``tool`` of ``server``."""
    return f"{server}_{tool}"


def tool_names(server: str, tool: str) -> tuple[str, ...]:
    """Every name a spec may use for ``tool`` of ``server``, the main one first."""
    names = [tool_name(server, tool), f"{server}.{tool}"]
    if tool.startswith(f"{server}_"):
        names.append(tool)
    return tuple(names)


def disambiguated(tools: Sequence[Tool]) -> list[Tool]:
    """``tools`` of MCP servers without the names two of them would share; each such name
    becomes an :class:`AmbiguousTool` that lists the candidates."""
    claims: dict[str, list[Tool]] = {}
    for tool in tools:
        for name in (tool.name, *tool.aliases):
            claims.setdefault(name, []).append(tool)
    shared = {name: found for name, found in claims.items() if len(found) > 1}
    if not shared:
        return list(tools)
    out: list[Tool] = []
    for tool in tools:
        free = [n for n in (tool.name, *tool.aliases) if n not in shared]
        if free:
            out.append(replace(tool, name=free[0], aliases=tuple(free[1:])))
    out += [_ambiguity(name, [_origin(t) for t in found]) for name, found in shared.items()]
    return out


def _origin(tool: Tool) -> tuple[str, str]:
    """The server and the server's own name of an MCP ``tool``."""
    server = tool.source.removeprefix("mcp:")
    dotted = next((n for n in (tool.name, *tool.aliases) if n.startswith(f"{server}.")), "")
    return server, dotted.removeprefix(f"{server}.") or tool.name


class McpConnections:
    """Sessions with several MCP servers, for the length of an ``async with`` block.

    Entering starts every server at once, each within its ``startup_timeout``, and lists their
    tools; a server that fails to start raises :class:`McpServerError` (a ``ToolError``) and
    nothing is left running. Leaving closes the sessions and stops and reaps every child
    process, also when the block raised or was cancelled. Enter and leave from one task.
    """

    def __init__(
        self, configs: Sequence[McpServerConfig], sampler: SamplingAnswerer | None = None
    ) -> None:
        seen: set[str] = set()
        for config in configs:
            if config.name in seen:
                raise UsageError(f"MCP server `{config.name}` is declared twice")
            seen.add(config.name)
        self._connections = [ServerConnection(config, sampler) for config in configs]
        self._task_group: anyio.abc.TaskGroup | None = None
        self._entered = False
        self._servers: dict[str, ServerConnection | ToolError] = {}
        self._token: contextvars.Token[Any] | None = None

    async def __aenter__(self) -> McpConnections:
        if self._entered:
            raise RuntimeError("McpConnections can be entered only once")
        self._entered = True
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        # The protocol tools (mcp_list_tools...) reach the servers through this mapping.
        self._token = set_servers(self._servers)
        failures: list[McpServerError] = []
        try:
            async with anyio.create_task_group() as starters:
                for connection in self._connections:
                    starters.start_soon(self._start, task_group, connection, failures)
        except BaseException:
            await self._shutdown()
            raise
        if failures:
            await self._shutdown()
            order = [c.name for c in self._connections]
            combined = _combined(sorted(failures, key=lambda f: order.index(f.server)))
            # The protocol tools fail with why, for the rest of the test.
            self._token = set_servers(dict.fromkeys(order, combined))
            raise combined
        self._servers.update((c.name, c) for c in self._connections)
        return self

    def servers(self) -> dict[str, ServerConnection | ToolError]:
        """The servers by name, as the protocol tools (``mcp_list_tools``...) reach them."""
        return dict(self._servers)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._shutdown()

    @staticmethod
    async def _start(
        task_group: anyio.abc.TaskGroup,
        connection: ServerConnection,
        failures: list[McpServerError],
    ) -> None:
        try:
            await task_group.start(connection.run)
        except McpServerError as failure:
            failures.append(failure)

    async def _shutdown(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            reset_servers(token)
        task_group, self._task_group = self._task_group, None
        if task_group is None:
            return
        for connection in self._connections:
            connection.close()
        # Each connection stops its own server (shielded, bounded) as its task ends; the body's
        # exception, if any, is not passed in, so the servers still stop in order.
        await task_group.__aexit__(None, None, None)

    def tools(self) -> list[Tool]:
        """Every tool of every server, in declaration order; a name two tools would share
        names neither (:func:`disambiguated`)."""
        return disambiguated([tool for tools in self.tools_by_server().values() for tool in tools])

    def tools_by_server(self) -> dict[str, list[Tool]]:
        """The tools of each server, by server name, with every name each may have."""
        return {c.name: [_as_tool(c, t) for t in c.tools] for c in self._connections}


async def list_server_tools(configs: Sequence[McpServerConfig]) -> dict[str, list[Tool]]:
    """Start the servers, list their tools and stop them again (for ``lint --mcp``).

    The tools keep their names and schemas; calling them fails, as their servers are gone.
    """
    async with McpConnections(configs) as connections:
        return connections.tools_by_server()


def _as_tool(connection: ServerConnection, listed: McpTool) -> Tool:
    name = listed.name
    output_schema: Mapping[str, Any] | None = listed.output_schema

    async def call(ctx: ToolContext, args: dict[str, Any]) -> Any:
        try:
            return await connection.call(name, args, output_schema, ctx.details)
        finally:
            ctx.note = exchange_note(ctx.details)

    def explain(call: ToolContext) -> ToolError | None:
        detail = connection.timeout_detail()
        return None if detail is None else ToolError(f"timed out after {call.timeout:g}s\n{detail}")

    server = connection.name
    kind = Tool if connection.config.client.validate_args else UncheckedTool
    main, *aliases = tool_names(server, name)
    return kind(
        name=main,
        description=listed.description or listed.title or "",
        input_schema=listed.input_schema,
        func=call,
        source=f"mcp:{server}",
        aliases=tuple(aliases),
        output_schema=output_schema,
        explain_timeout=explain,
    )


@dataclass(frozen=True)
class UncheckedTool(Tool):
    """A server tool whose arguments are sent as written (``validate_args: false``): the server
    checks them itself, so a test can see how."""

    @property
    def arguments(self) -> ArgumentCheck:
        return _ANY_ARGUMENTS


_ANY_ARGUMENTS = ArgumentCheck({})


@dataclass(frozen=True, kw_only=True)
class AmbiguousTool(UncheckedTool):
    """A stand-in for a name several MCP tools would have: calling it raises ``ambiguity``
    (lint reports it as E409)."""

    ambiguity: ToolError


def _ambiguity(name: str, candidates: Sequence[tuple[str, str]]) -> Tool:
    """A stand-in for ``name``, which several tools would have: calling it says which."""
    listed = ", ".join(f"`{tool}` of server `{server}`" for server, tool in candidates)
    dotted = " or ".join(f"`{server}.{tool}`" for server, tool in candidates)
    error = ToolError(f"tool name `{name}` is ambiguous: {listed}", hint=f"call {dotted}")

    async def refuse(ctx: ToolContext, args: dict[str, Any]) -> Any:
        raise error

    return AmbiguousTool(
        ambiguity=error,
        name=name,
        description=f"Ambiguous: {listed}.",
        input_schema={"type": "object"},
        func=refuse,
        source="mcp: " + ", ".join(sorted({server for server, _ in candidates})),
    )


def _combined(failures: list[McpServerError]) -> McpServerError:
    if len(failures) == 1:
        return failures[0]
    names = ", ".join(f"`{f.server}`" for f in failures)
    body = "\n\n".join(f.message for f in failures)
    hints = [f.hint for f in failures if f.hint]
    return McpServerError(
        failures[0].server,
        f"{len(failures)} MCP servers failed to start ({names}):\n\n{body}",
        hints[0] if hints else None,
    )
