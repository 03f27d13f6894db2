"""The MCP server of one agent-mode run: in-process, streamable HTTP on 127.0.0.1, recording.

::

    async with recording_server(registry, context) as server:
        server.mcp_config()   # what the agent's --mcp-config file holds
        server.calls          # every call so far, as the server answered it

It listens on a free loopback port for the length of the block and serves the registry's tools
with the run's one :class:`ToolContext` (its state is the run's; the caller closes it). Only a
client that sends the run's random bearer token is served, so no other local process can call
the run's tools. Needs the asyncio event loop (the server is uvicorn).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import uvicorn

from llm_pytest.agent.prompt import SERVER_NAME
from llm_pytest.tools.mcp.bearer import new_token
from llm_pytest.tools.mcp.server import ServedCall, build_server
from llm_pytest.tools.registry import ToolContext, ToolRegistry

__all__ = ["RecordingServer", "recording_server"]

_SHUTDOWN_GRACE = 2  # seconds open connections get once the run is over


@dataclass
class RecordingServer:
    """Where the run's server listens, and what it has been asked so far."""

    url: str
    token: str
    calls: list[ServedCall] = field(default_factory=list)

    def mcp_config(self) -> dict[str, Any]:
        """The agent's MCP configuration: this server alone, under the name ``llm_pytest``."""
        return {
            "mcpServers": {
                SERVER_NAME: {
                    "type": "http",
                    "url": self.url,
                    "headers": {"Authorization": f"Bearer {self.token}"},
                }
            }
        }


@asynccontextmanager
async def recording_server(
    registry: ToolRegistry,
    context: ToolContext,
    *,
    on_call: Callable[[ServedCall], None] | None = None,
    timeouts: Mapping[str, float] | None = None,
) -> AsyncIterator[RecordingServer]:
    """Serve ``registry`` over streamable HTTP for the block; ``on_call`` sees each call too.
    A call of a tool may take ``timeouts[its name]`` seconds (see ``build_server``)."""
    token = new_token()
    with _listening_socket() as sock:
        port = sock.getsockname()[1]
        live = RecordingServer(url=f"http://127.0.0.1:{port}/mcp", token=token)

        def record(call: ServedCall) -> None:
            live.calls.append(call)
            if on_call is not None:
                on_call(call)

        tools = build_server(
            registry, name=SERVER_NAME, context=context, observer=record, timeouts=timeouts
        )
        app = tools.http_app(token=token, host="127.0.0.1")
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=_SHUTDOWN_GRACE,
        )
        server = _Server(config)
        async with anyio.create_task_group() as tg:
            # The socket already listens: the agent may connect before uvicorn accepts.
            tg.start_soon(server.serve, [sock])
            try:
                yield live
            finally:
                server.should_exit = True


@contextmanager
def _listening_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        yield sock
    finally:
        sock.close()


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: Ctrl-C belongs to the test run, not to this server."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
