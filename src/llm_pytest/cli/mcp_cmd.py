"""``llm-pytest mcp serve``: expose llm-pytest's tools to any MCP client.

::

    llm-pytest mcp serve [--plugins DIR ...] [--spec FILE] [--timeout SECONDS]
                         [--http HOST:PORT [--token-env NAME] [--allow-remote]]

Serves the built-in tools, the tools of the plugins in ``DIR``, and with ``--spec`` the tools of
that spec's ``mcp_servers`` (proxied), over stdio, or over streamable HTTP at
``http://HOST:PORT/mcp`` with ``--http``. The spec is compiled as for a run, so ``${vars...}``
and ``${env...}`` in its server configs are resolved; the servers of all its tests are served
(a name declared twice must mean the same server). In stdio mode stdout carries the protocol,
so every message of this command goes to stderr. A tool call that takes longer than
``--timeout`` seconds (default 120, as a spec step's) fails with a timeout error.

The tools run commands and read files, so over HTTP every request must carry
``Authorization: Bearer <token>``: a token generated at start-up and printed to stderr, or the
value of the environment variable ``--token-env`` names. HOST must be a loopback address unless
``--allow-remote`` is given.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import socket
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from llm_pytest.cli.main import describe
from llm_pytest.errors import LlmPytestError, UsageError
from llm_pytest.model.plan import McpServerPlan, value_to_json
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
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio; every request "
        "needs the bearer token printed at start-up",
    )
    serve.add_argument(
        "--token-env",
        metavar="NAME",
        help="with --http: take the bearer token from environment variable NAME instead of "
        "generating one",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="with --http: allow a HOST that is not a loopback address (other machines can "
        "then reach the server; they still need the token)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``llm-pytest mcp <command>``; the exit status."""
    try:
        http = _http(args) if args.http else None
        if http is None and (args.token_env or args.allow_remote):
            option = "--token-env" if args.token_env else "--allow-remote"
            raise UsageError(
                f"{option} is for HTTP serving", hint="add --http HOST:PORT, or leave it out"
            )
        return _serve(args.plugins, args.spec, http, args.timeout)
    except LlmPytestError as exc:
        print(describe(exc), file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2


def _serve(
    plugin_dirs: list[Path],
    spec: Path | None,
    http: _Http | None,
    timeout: float | None,
) -> int:
    import anyio

    from llm_pytest.runtime.tools import build_registry
    from llm_pytest.tools.calls import DEFAULT_CALL_TIMEOUT
    from llm_pytest.tools.mcp.client import McpConnections
    from llm_pytest.tools.mcp.protocol import PROTOCOL_TOOLS
    from llm_pytest.tools.mcp.server import build_server
    from llm_pytest.tools.registry import ToolRegistry

    base = build_registry(plugin_dirs)
    configs = _spec_servers(spec) if spec is not None else []
    if not configs:  # the protocol tools (mcp_list_tools...) have no server to reach
        protocol = {tool.name for tool in PROTOCOL_TOOLS}
        base = ToolRegistry(tool for tool in base if tool.name not in protocol)

    async def main() -> None:
        async with McpConnections(configs) as connections:
            registry = base.extended(connections.tools())
            server = build_server(registry, timeout=timeout or DEFAULT_CALL_TIMEOUT)
            if http is None:
                await server.run_stdio()
            else:
                print(http.banner(), file=sys.stderr, flush=True)
                await server.serve_http(http.host, http.port, token=http.token)

    anyio.run(main)
    return 0


def _spec_servers(spec: Path) -> list[McpServerConfig]:
    from llm_pytest.dsl.compiler import compile_file
    from llm_pytest.tools.mcp.lifecycle import server_configs

    # Tests agree on a server when they declare it alike; its config is then rendered once,
    # from the first of them (a `${uuid()}` in it renders differently in every test).
    chosen: dict[str, tuple[McpServerConfig, object, str]] = {}
    for plan in compile_file(spec):
        declared = {s.name: _as_written(s) for s in plan.mcp_servers}
        for config in server_configs(plan, os.environ):
            first = chosen.setdefault(config.name, (config, declared[config.name], plan.item_name))
            if first[1] != declared[config.name]:
                raise UsageError(
                    f"MCP server `{config.name}` of {spec} is not the same in "
                    f"`{first[2]}` and `{plan.item_name}`: serve a spec whose tests agree on it"
                )
    return [config for config, _, _ in chosen.values()]


def _as_written(server: McpServerPlan) -> object:
    """A server's declaration as written, without where: what tests must agree on."""
    data = {f.name: getattr(server, f.name) for f in fields(server) if f.name != "location"}
    return value_to_json(data)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


@dataclass(frozen=True)
class _Http:
    """Where to serve HTTP and the token every request must carry."""

    host: str
    port: int
    token: str
    token_env: str | None
    remote: bool

    def banner(self) -> str:
        """The start-up lines: the URL, the token (unless the user chose it), any warning."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        lines = [f"serving MCP on http://{name}:{self.port}/mcp"]
        if self.token_env is None:
            lines.append(f"bearer token: {self.token}")
        else:
            lines.append(f"bearer token: the value of ${self.token_env}")
        if self.remote:
            lines.append(
                "warning: serving beyond this machine over plain HTTP: the token and every "
                "tool call cross the network unencrypted"
            )
        lines.append("every request must send `Authorization: Bearer <token>`")
        return "\n".join(lines)


def _http(args: argparse.Namespace) -> _Http:
    host, port = _address(args.http)
    remote = not _is_loopback(host)
    if remote and not args.allow_remote:
        raise UsageError(
            f"refusing to serve on {host}: it is not a loopback address, so other machines could "
            "call the served tools (run_command, read_file, ...)",
            hint="serve on 127.0.0.1, or add --allow-remote to accept clients beyond this "
            "machine (they still need the bearer token)",
        )
    return _Http(host, port, _token(args.token_env), args.token_env, remote)


def _token(env_name: str | None) -> str:
    from llm_pytest.tools.mcp.bearer import new_token, token_problem

    if env_name is None:
        return new_token()
    token = os.environ.get(env_name)
    if token is None:
        raise UsageError(
            f"--token-env names ${env_name}, which is not set",
            hint=f"export {env_name}=<a long random token>, or leave out --token-env to have "
            "one generated",
        )
    problem = token_problem(token)
    if problem is not None:
        raise UsageError(
            f"${env_name} cannot be a bearer token: {problem}",
            hint='use a long random token, e.g. python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"',
        )
    return token


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only: a loopback address, or a name every address of
    which is one (so ``localhost`` is, a LAN name is not)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in found)


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http takes HOST:PORT (for example 127.0.0.1:8765), got {text!r}")
    return host, int(port)
