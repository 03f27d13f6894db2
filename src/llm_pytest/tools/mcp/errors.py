"""Failures of MCP servers themselves, as opposed to a tool that reports an error."""

from __future__ import annotations

from llm_pytest.errors import ToolError

__all__ = ["McpServerError", "with_stderr"]


class McpServerError(ToolError):
    """An MCP server that did not start, exited, hung or cannot be reached."""

    def __init__(self, server: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.server = server


def with_stderr(message: str, stderr_tail: str, stray_stdout: str | None = None) -> str:
    """``message`` followed by the tail of the server's stderr, and by the last non-MCP line
    it wrote to stdout (a stdio server must write only MCP messages there)."""
    parts = [message]
    if stderr_tail:
        quoted = "\n".join(f"  | {line}" for line in stderr_tail.splitlines())
        parts.append(f"stderr of the server (last lines):\n{quoted}")
    else:
        parts.append("the server wrote nothing to stderr")
    if stray_stdout:
        parts.append(f"it also wrote this to stdout, which is not an MCP message: {stray_stdout!r}")
    return "\n".join(parts)
