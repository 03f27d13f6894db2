"""How to reach one MCP server a spec declares under ``mcp_servers`` (docs/language.md §2).

Two transports: a command started as a child process that speaks MCP over its stdin/stdout
(:class:`StdioServerConfig`), or a streamable HTTP endpoint (:class:`HttpServerConfig`).
:func:`~llm_pytest.tools.mcp.lifecycle.server_configs` makes them from a compiled plan. This module
imports nothing from the MCP SDK, so reading configs stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from llm_pytest.model.plan import McpClientPlan

__all__ = ["DEFAULT_STARTUP_TIMEOUT", "HttpServerConfig", "McpServerConfig", "StdioServerConfig"]

DEFAULT_STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class StdioServerConfig:
    """A server started as a child process, speaking MCP over its stdin and stdout.

    The child gets this process's environment with ``env`` laid over it. A ``command`` of
    ``python`` or ``python3`` runs the interpreter that runs llm-pytest.
    """

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    client: McpClientPlan = field(default_factory=McpClientPlan)

    def describe(self) -> str:
        """The command line, for messages."""
        return " ".join([self.command, *self.args])


@dataclass(frozen=True)
class HttpServerConfig:
    """A server already running behind a streamable HTTP endpoint (usually ``.../mcp``)."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    client: McpClientPlan = field(default_factory=McpClientPlan)

    def describe(self) -> str:
        """The URL, for messages."""
        return self.url


McpServerConfig = StdioServerConfig | HttpServerConfig
