"""``llm-pytest mcp serve``: expose llm-pytest's tools to any MCP client.

::

    llm-pytest mcp serve [--plugins DIR ...] [--spec FILE] [--http HOST:PORT]

Serves the built-in tools, the tools of the plugins in ``DIR``, and with ``--spec`` the tools of
that spec's ``mcp_servers`` (proxied), over stdio, or over streamable HTTP at
``http://HOST:PORT/mcp`` with ``--http``. In stdio mode stdout carries the protocol, so every
message of this command goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llm_pytest.bridge.config import McpServerConfig, configs_from_mapping
from llm_pytest.errors import LlmPytestError, SpecError, UsageError

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
        "--http",
        metavar="HOST:PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``llm-pytest mcp <command>``; the exit status."""
    try:
        address = _address(args.http) if args.http else None
        return _serve(args.plugins, args.spec, address)
    except SpecError as exc:
        print(exc.render(), file=sys.stderr)
    except LlmPytestError as exc:
        hint = getattr(exc, "hint", None)
        print(f"error: {exc}" + (f"\n  hint: {hint}" if hint else ""), file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2


def _serve(plugin_dirs: list[Path], spec: Path | None, address: tuple[str, int] | None) -> int:
    import anyio

    from llm_pytest.bridge.client import McpConnections
    from llm_pytest.bridge.server import build_server
    from llm_pytest.interpreter.tools import ToolRegistry
    from llm_pytest.plugins import discover_plugins
    from llm_pytest.stdlib_tools import builtin_tools

    base = [*builtin_tools(), *discover_plugins(plugin_dirs)]
    configs = _spec_servers(spec) if spec is not None else []

    async def main() -> None:
        async with McpConnections(configs) as connections:
            server = build_server(ToolRegistry([*base, *connections.tools()]))
            if address is None:
                await server.run_stdio()
            else:
                host, port = address
                print(f"serving MCP on http://{host}:{port}/mcp", file=sys.stderr, flush=True)
                await server.serve_http(host, port)

    anyio.run(main)
    return 0


def _spec_servers(spec: Path) -> list[McpServerConfig]:
    from llm_pytest.dsl.loader import load_file

    documents = load_file(spec)
    if not documents or not isinstance(documents[0].data, dict):
        return []
    servers = documents[0].data.get("mcp_servers") or {}
    return configs_from_mapping(servers, spec.resolve().parent, path=str(spec))


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http takes HOST:PORT (for example 127.0.0.1:8765), got {text!r}")
    return host, int(port)
