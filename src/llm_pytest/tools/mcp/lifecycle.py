"""The MCP servers of one plan: started for each run (``scope: run``, the default) or once for
all runs of its item (``scope: item``), and always stopped again.

Each server starts on its own: one that cannot start makes only its own tools fail (with its
message), never those of the plan's other servers.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio

from llm_pytest.errors import ExpressionError, ToolError
from llm_pytest.expr.scope import NO_FIXTURES, EnvView, FixtureValues
from llm_pytest.model.plan import McpServerPlan, Plan, render_value
from llm_pytest.tools.mcp.client import McpConnections, disambiguated
from llm_pytest.tools.mcp.config import HttpServerConfig, McpServerConfig, StdioServerConfig
from llm_pytest.tools.mcp.connection import ServerConnection
from llm_pytest.tools.mcp.sampling import SamplingAnswerer
from llm_pytest.tools.registry import Tool

__all__ = ["ServerSet", "plan_connections", "server_configs"]

Scope = Literal["run", "item"]


def server_configs(
    plan: Plan,
    env: Mapping[str, str],
    fixtures: FixtureValues | None = None,
    *,
    iteration: int = 0,
    scope: Scope | None = None,
) -> list[McpServerConfig]:
    """The plan's servers (those of ``scope`` only, when given) with ``${vars...}``,
    ``${env...}``, ``${fixtures...}`` and ``${iteration}`` resolved; functions such as
    ``${uuid()}`` are called anew on each call. Without ``fixtures``, reading one fails, saying
    where fixture values come from. Raises ExpressionError."""
    render_scope: dict[str, Any] = {
        "vars": {},
        "env": EnvView(env),
        "fixtures": fixtures if fixtures is not None else FixtureValues({}, NO_FIXTURES),
        "stored": {},
        "iteration": iteration,
        "experiment": plan.experiment,
    }
    for name, value in plan.vars.items():
        render_scope["vars"][name] = render_value(value, render_scope)
    return [_config(server, render_scope) for server in _servers(plan, scope)]


def _servers(plan: Plan, scope: Scope | None) -> list[McpServerPlan]:
    return [s for s in plan.mcp_servers if scope is None or s.scope == scope]


def _config(server: McpServerPlan, scope: Mapping[str, Any]) -> McpServerConfig:
    def text(value: Any) -> str:
        rendered = render_value(value, scope)
        return rendered if isinstance(rendered, str) else str(rendered)

    if server.transport == "stdio":
        return StdioServerConfig(
            name=server.name,
            command=text(server.command),
            args=tuple(text(a) for a in server.args),
            env={k: text(v) for k, v in server.env.items()} or None,
            cwd=server.cwd,
            startup_timeout=server.startup_timeout,
            client=server.client,
        )
    return HttpServerConfig(
        name=server.name,
        url=text(server.url),
        headers={k: text(v) for k, v in server.headers.items()},
        startup_timeout=server.startup_timeout,
        client=server.client,
    )


@dataclass
class ServerSet:
    """Started servers: their tools, the error of each server that failed to start (calling
    one of its tools raises it), and how long each server that started took, in ms."""

    tools: list[Tool] = field(default_factory=list)
    unavailable: dict[str, ToolError] = field(default_factory=dict)
    startup_ms: dict[str, float] = field(default_factory=dict)
    connections: dict[str, ServerConnection | ToolError] = field(default_factory=dict)
    """Each server by name, live or why it is not, for the protocol tools (``servers_in_use``)."""

    def __post_init__(self) -> None:
        for name, error in self.unavailable.items():
            self.connections.setdefault(name, error)


@asynccontextmanager
async def plan_connections(
    plan: Plan,
    env: Mapping[str, str],
    fixtures: FixtureValues | None = None,
    *,
    iteration: int = 0,
    scope: Scope | None = None,
    sampler: SamplingAnswerer | None = None,
) -> AsyncIterator[ServerSet]:
    """Start the plan's servers (those of ``scope``, when given) at once, configured for run
    ``iteration`` (0 for servers an item's runs share); yields them once each has started or
    failed, and stops them all when the block ends, also when it raised or was cancelled.

    A server that cannot start does not stop the item: calling its tools fails the step with
    the server's message (and stderr), so the run reports it where the spec uses it and its
    teardown still runs. ``sampler`` answers the sampling requests of servers declared with
    ``sampling: judge``.
    """
    names = [s.name for s in _servers(plan, scope)]
    try:
        configs = server_configs(plan, env, fixtures, iteration=iteration, scope=scope)
    except ExpressionError as exc:
        error = ToolError(f"cannot configure the MCP servers: {exc}", hint=exc.hint)
        yield ServerSet(unavailable=dict.fromkeys(names, error))
        return
    async with _started(configs, sampler) as servers:
        yield servers


@asynccontextmanager
async def _started(
    configs: Iterable[McpServerConfig], sampler: SamplingAnswerer | None
) -> AsyncIterator[ServerSet]:
    configs = list(configs)
    if not configs:
        yield ServerSet()
        return
    tools: dict[str, list[Tool]] = {}
    servers = ServerSet()
    closing = anyio.Event()
    failure: Exception | None = None
    async with anyio.create_task_group() as tg:
        ready = [anyio.Event() for _ in configs]
        for config, event in zip(configs, ready, strict=True):
            tg.start_soon(_serve, config, servers, tools, event, closing, sampler)
        try:
            for event in ready:
                await event.wait()
            servers.tools = disambiguated([t for c in configs for t in tools.get(c.name, [])])
            yield servers
        except Exception as exc:
            # Raised past the group after the servers stopped, so that it stays itself rather
            # than becoming an exception group.
            failure = exc
        finally:
            closing.set()
    if failure is not None:
        raise failure


async def _serve(
    config: McpServerConfig,
    servers: ServerSet,
    tools: dict[str, list[Tool]],
    ready: anyio.Event,
    closing: anyio.Event,
    sampler: SamplingAnswerer | None,
) -> None:
    """Run one server (in its own task, which enters and leaves its session) until closing."""
    start = time.perf_counter()
    try:
        async with McpConnections([config], sampler) as connection:
            servers.startup_ms[config.name] = (time.perf_counter() - start) * 1000
            tools[config.name] = connection.tools_by_server()[config.name]
            servers.connections.update(connection.servers())
            ready.set()
            await closing.wait()
    except ToolError as exc:
        servers.unavailable[config.name] = exc
        servers.connections[config.name] = exc
    finally:
        ready.set()
