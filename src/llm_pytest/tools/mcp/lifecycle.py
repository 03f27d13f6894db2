"""The MCP servers of one plan: started when its item runs, shared by its runs, then stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from llm_pytest.errors import ExpressionError, ToolError
from llm_pytest.expr.scope import NO_FIXTURES, EnvView, FixtureValues
from llm_pytest.model.plan import McpServerPlan, Plan, render_value
from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import HttpServerConfig, McpServerConfig, StdioServerConfig
from llm_pytest.tools.registry import Tool

__all__ = ["plan_connections", "server_configs"]


def server_configs(
    plan: Plan, env: Mapping[str, str], fixtures: FixtureValues | None = None
) -> list[McpServerConfig]:
    """The plan's servers with `${vars...}`, `${env...}` and `${fixtures...}` resolved (without
    ``fixtures``, reading one fails, saying where fixture values come from). Raises
    ExpressionError."""
    scope: dict[str, Any] = {
        "vars": {},
        "env": EnvView(env),
        "fixtures": fixtures if fixtures is not None else FixtureValues({}, NO_FIXTURES),
        "stored": {},
        "iteration": 0,
        "experiment": plan.experiment,
    }
    for name, value in plan.vars.items():
        scope["vars"][name] = render_value(value, scope)
    return [_config(server, scope) for server in plan.mcp_servers]


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


@asynccontextmanager
async def plan_connections(
    plan: Plan, env: Mapping[str, str], fixtures: FixtureValues | None = None
) -> AsyncIterator[tuple[list[Tool], dict[str, ToolError]]]:
    """Start the plan's servers; yields their tools and, if they failed, the error per server.

    A server that cannot start does not stop the item: calling its tools fails the step with
    the server's message (and stderr), so the run reports it where the spec uses it and its
    teardown still runs.
    """
    names = [s.name for s in plan.mcp_servers]
    try:
        configs = server_configs(plan, env, fixtures)
    except ExpressionError as exc:
        error = ToolError(f"cannot configure the MCP servers: {exc}", hint=exc.hint)
        yield [], dict.fromkeys(names, error)
        return
    connections = McpConnections(configs)
    try:
        await connections.__aenter__()
    except ToolError as exc:
        yield [], dict.fromkeys(names, exc)
        return
    try:
        yield connections.tools(), {}
    finally:
        await connections.__aexit__(None, None, None)
