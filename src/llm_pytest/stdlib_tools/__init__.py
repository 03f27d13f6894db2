"""The built-in tools (LANGUAGE.md section 7): bare names, rich mappings as results."""

from __future__ import annotations

from llm_pytest.interpreter.tools import Tool
from llm_pytest.stdlib_tools.files import READ_FILE_TOOL, SPEC_DIR
from llm_pytest.stdlib_tools.http import HTTP_CLIENT, HTTP_REQUEST_TOOL
from llm_pytest.stdlib_tools.process import RUN_COMMAND_TOOL
from llm_pytest.stdlib_tools.sleep import SLEEP_TOOL
from llm_pytest.stdlib_tools.state import STATE_TOOLS

__all__ = ["HTTP_CLIENT", "SPEC_DIR", "builtin_tools"]


def builtin_tools() -> list[Tool]:
    """Every built-in tool, in the order of LANGUAGE.md section 7."""
    return [*STATE_TOOLS, SLEEP_TOOL, HTTP_REQUEST_TOOL, RUN_COMMAND_TOOL, READ_FILE_TOOL]
