"""An npm MCP server over stdio: @modelcontextprotocol/server-everything, driven by a spec in a
real ``pytest --llm`` session (installed by scripts/install-mcp-server-everything.sh; the tests
skip with that hint without it)."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.pytest_plugin.plugin_support import run, write

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_ENV = "LLM_PYTEST_MCP_EVERYTHING"
DEFAULT_ENTRY = (
    REPO_ROOT
    / ".cache/mcp-server-everything/node_modules/@modelcontextprotocol"
    / "server-everything/dist/index.js"
)
INSTALL_HINT = (
    "run scripts/install-mcp-server-everything.sh (or set LLM_PYTEST_MCP_EVERYTHING to its "
    "dist/index.js)"
)


@pytest.fixture
def entry() -> str:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH; the npm MCP server needs Node.js")
    path = Path(os.environ.get(SERVER_ENV) or DEFAULT_ENTRY)
    if not path.is_file():
        pytest.skip(f"@modelcontextprotocol/server-everything not found at {path}: {INSTALL_HINT}")
    return str(path)


def _spec(entry: str, steps: str, server: str = "") -> str:
    """A spec of one test with the server `everything` (more of its declaration in ``server``,
    4 spaces in) and ``steps`` (YAML, 10 spaces in)."""
    return (
        "test:\n"
        '  name: "Everything server"\n'
        "mcp_servers:\n"
        "  everything:\n"
        "    command: node\n"
        f'    args: ["{entry}", stdio]\n' + server + "steps:\n" + textwrap.dedent(steps)
    )


def test_a_spec_calls_the_tools_of_an_npm_server_over_stdio(
    pytester: pytest.Pytester, entry: str
) -> None:
    write(
        pytester,
        "tests/llm/test_everything.yaml",
        _spec(
            entry,
            """\
          - name: "Echo"
            tool: everything.echo
            args: {message: hello}
            check: 'result == "Echo: hello"'
          - name: "Sum"
            tool: everything_get-sum
            args: {a: 2, b: 3}
            check: result matches "is 5"
          - name: "Structured content"
            tool: everything.get-structured-content
            args: {location: "New York"}
            check: result.temperature > -100 and len(result.conditions) > 0
            """,
        ),
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(passed=1)


def test_an_unknown_tool_of_an_npm_server_names_the_ones_it_has(
    pytester: pytest.Pytester, entry: str
) -> None:
    write(
        pytester,
        "tests/llm/test_everything.yaml",
        _spec(
            entry,
            """\
          - name: "Add"
            tool: everything.get-summ
            args: {a: 2, b: 3}
            """,
        ),
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*unknown tool `everything.get-summ`*did you mean `everything.get-sum`?*"]
    )


def test_an_npm_server_gets_scripted_sampling_elicitation_and_roots_and_sends_progress(
    pytester: pytest.Pytester, entry: str
) -> None:
    server = '    sampling: "Hello from the script"\n    elicitation: decline\n    roots: ["."]\n'
    write(
        pytester,
        "tests/llm/test_everything.yaml",
        _spec(
            entry,
            """\
          - tool: everything.trigger-sampling-request
            args: {prompt: "Say hi", maxTokens: 20}
            check:
              - result matches "Hello from the script"
              - call.requests[0].method == "sampling/createMessage"
          - tool: everything.trigger-long-running-operation
            args: {duration: 0.3, steps: 3}
            check: len(call.progress) == 3
          - tool: everything.get-resource-links
            args: {count: 2}
            check: result[1].type == "resource_link" and result[1].uri matches "^demo://"
          - tool: everything.get-roots-list
            check: result matches "file://.*/tests/llm"
          - tool: everything.trigger-elicitation-request
            check: call.requests[0].response.action == "decline"
          - tool: mcp_list_resources
            args: {server: everything}
            check: len(result.resources) > 0
            """,
            server,
        ),
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(passed=1)
