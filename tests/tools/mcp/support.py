"""Helpers for the bridge tests: the servers they run, their context, and free ports."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
from anyio.abc import ByteReceiveStream
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from llm_pytest.tools.mcp.config import StdioServerConfig
from llm_pytest.tools.registry import ToolContext

HERE = Path(__file__).parent
SCRIPTED_SERVER = HERE / "servers" / "scripted_server.py"
PROTOCOL_SERVER = HERE / "servers" / "protocol_server.py"
NOTES_SERVER = HERE.parents[2] / "spec-examples" / "servers" / "notes_server.py"


def scripted(
    mode: str,
    name: str = "scripted",
    *,
    env: dict[str, str] | None = None,
    startup_timeout: float = 30.0,
) -> StdioServerConfig:
    """A config running ``scripted_server.py MODE``."""
    args = (str(SCRIPTED_SERVER), mode)
    return StdioServerConfig(name, "python", args, env=env, startup_timeout=startup_timeout)


def context() -> ToolContext:
    return ToolContext(env=dict(os.environ))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_port(port: int, within: float = 15.0) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``."""
    with anyio.fail_after(within):
        while True:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.02)
            else:
                await stream.aclose()
                return


async def read_banner(stderr: ByteReceiveStream) -> list[str]:
    """The start-up lines `llm-pytest mcp serve --http` prints, up to the one saying what every
    request must send."""
    stream = BufferedByteReceiveStream(stderr)
    lines: list[str] = []
    while not lines or not lines[-1].startswith("every request must send"):
        lines.append((await stream.receive_until(b"\n", 65536)).decode())
    return lines


@asynccontextmanager
async def bearer_client(url: str, token: str) -> AsyncIterator[Client]:
    """An MCP client over streamable HTTP sending ``Authorization: Bearer <token>``."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode="legacy") as client:
            yield client


@asynccontextmanager
async def http_server(script: Path, within: float = 60.0) -> AsyncIterator[str]:
    """Run an MCP server ``script`` with ``--http PORT`` on a free port; yields its MCP URL."""
    port = free_port()
    argv = [sys.executable, str(script), "--http", str(port)]
    async with await anyio.open_process(argv) as process:
        try:
            await wait_for_port(port, within=within)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
