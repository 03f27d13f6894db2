"""Helpers for the bridge tests: the servers they run, their context, and free ports."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import anyio

from llm_pytest.tools.mcp.config import StdioServerConfig
from llm_pytest.tools.registry import ToolContext

HERE = Path(__file__).parent
SCRIPTED_SERVER = HERE / "servers" / "scripted_server.py"
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
