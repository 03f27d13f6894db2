"""The built-in tools (docs/language.md section 7): bare names, rich mappings as results."""

from __future__ import annotations

from llm_pytest.tools.builtin.files import READ_FILE_TOOL
from llm_pytest.tools.builtin.http import HTTP_CLIENT, HTTP_REQUEST_TOOL
from llm_pytest.tools.builtin.process import RUN_COMMAND_TOOL
from llm_pytest.tools.builtin.sleep import SLEEP_TOOL
from llm_pytest.tools.builtin.state import STATE_TOOLS
from llm_pytest.tools.mcp.protocol import PROTOCOL_TOOLS
from llm_pytest.tools.registry import Tool

__all__ = ["HTTP_CLIENT", "builtin_tools"]


def builtin_tools() -> list[Tool]:
    """Every built-in tool, in the order of docs/language.md section 7, then the MCP protocol's."""
    return [
        *STATE_TOOLS,
        SLEEP_TOOL,
        HTTP_REQUEST_TOOL,
        RUN_COMMAND_TOOL,
        READ_FILE_TOOL,
        *PROTOCOL_TOOLS,
    ]
