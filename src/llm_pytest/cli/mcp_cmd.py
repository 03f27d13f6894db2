"""``llm-pytest mcp serve``: expose llm-pytest's tools to any MCP client.

::

    llm-pytest mcp serve [--plugins DIR ...] [--spec FILE] [--http HOST:PORT] [--timeout SECONDS]

Serves the built-in tools, the tools of the plugins in ``DIR``, and with ``--spec`` the tools of
that spec's ``mcp_servers`` (proxied), over stdio, or over streamable HTTP at
``http://HOST:PORT/mcp`` with ``--http``. The spec is compiled as for a run, so ``${vars...}``
and ``${env...}`` in its server configs are resolved; the servers of all its tests are served
(a name declared twice must mean the same server). In stdio mode stdout carries the protocol,
so every message of this command goes to stderr. A tool call that takes longer than
``--timeout`` seconds (default 120, as a spec step's) fails with a timeout error.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from llm_pytest.cli.main import describe
from llm_pytest.errors import LlmPytestError, UsageError
from llm_pytest.tools.mcp.config import McpServerConfig

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sub-commands of ``llm-pytest mcp`` (so far: ``serve``) to ``parser``."""
    commands = parser.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve llm-pytest's tools over MCP",
        description="Serve the built-in tools, plugin tools and a spec's MCP server tools "
        "over MCP (stdio unless --http is given).",
    )
    serve.add_argument(
        "--plugins",
        nargs="+",
        action="extend",
        default=[],
        type=Path,
        metavar="DIR",
        help="folders of plugin modules whose tools to serve (repeatable)",
    )
    serve.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="also serve the tools of this spec's mcp_servers (started for the server's life)",
    )
    serve.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="seconds a tool call may take (default: 120, as a spec step's)",
    )
    serve.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``llm-pytest mcp <command>``; the exit status."""
    try:
        address = _address(args.http) if args.http else None
        return _serve(args.plugins, args.spec, address, args.timeout)
    except LlmPytestError as exc:
        print(describe(exc), file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2


def _serve(
    plugin_dirs: list[Path],
    spec: Path | None,
    address: tuple[str, int] | None,
    timeout: float | None,
) -> int:
    import anyio

    from llm_pytest.runtime.tools import build_registry
    from llm_pytest.tools.calls import DEFAULT_CALL_TIMEOUT
    from llm_pytest.tools.mcp.client import McpConnections
    from llm_pytest.tools.mcp.server import build_server

    base = build_registry(plugin_dirs)
    configs = _spec_servers(spec) if spec is not None else []

    async def main() -> None:
        async with McpConnections(configs) as connections:
            registry = base.extended(connections.tools())
            server = build_server(registry, timeout=timeout or DEFAULT_CALL_TIMEOUT)
            if address is None:
                await server.run_stdio()
            else:
                host, port = address
                print(f"serving MCP on http://{host}:{port}/mcp", file=sys.stderr, flush=True)
                await server.serve_http(host, port)

    anyio.run(main)
    return 0


def _spec_servers(spec: Path) -> list[McpServerConfig]:
    import os

    from llm_pytest.dsl.compiler import compile_file
    from llm_pytest.tools.mcp.lifecycle import server_configs

    chosen: dict[str, tuple[McpServerConfig, str]] = {}
    for plan in compile_file(spec):
        for config in server_configs(plan, os.environ):
            first = chosen.setdefault(config.name, (config, plan.item_name))
            if first[0] != config:
                raise UsageError(
                    f"MCP server `{config.name}` of {spec} is not the same in "
                    f"`{first[1]}` and `{plan.item_name}`: serve a spec whose tests agree on it"
                )
    return [config for config, _ in chosen.values()]


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http takes HOST:PORT (for example 127.0.0.1:8765), got {text!r}")
    return host, int(port)
