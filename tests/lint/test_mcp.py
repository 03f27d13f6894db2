"""`lint --mcp`: the tools of declared MCP servers, checked against the real notes server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llm_pytest.cli.main import main

from .support import NOTES_SERVER, codes, lint, write

HERE = Path(__file__).resolve().parent

NOTES_SPEC = f"""\
test: {{name: notes}}
mcp_servers:
  notes:
    command: {sys.executable}
    args: ["{NOTES_SERVER}"]
steps:
  - tool: notes_add_note
    args: {{title: groceries, body: 12}}
    save_as: note
    check: result.id > 0
  - tool: notes.get_note
    args: {{id: "${{note.id}}"}}
    check: result.title == "groceries"
  - tool: notes.get_note
    args: {{id: first}}
    check: result.title == "groceries"
  - tool: notes_remove_note
    args: {{id: 1}}
    check: result.removed
"""


def test_mcp_finds_unknown_server_tools_and_wrong_argument_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, NOTES_SPEC, "test_notes.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--no-excerpt", "--mcp", "test_notes.yaml"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "test_notes.yaml:8:36: E404 invalid argument for `notes_add_note`: `args.body`: "
        "expected string, got 12",
        "test_notes.yaml:15:16: E404 invalid argument for `notes.get_note`: `args.id`: "
        "expected integer, got 'first'",
        "test_notes.yaml:17:11: E401 unknown tool `notes_remove_note` (known tools: get_value, "
        "http_request, list_values, mcp_complete, mcp_get_prompt, mcp_list_prompts, "
        "mcp_list_resource_templates, mcp_list_resources, mcp_list_tools, mcp_read_resource, "
        "mcp_server_info, mcp_set_log_level, notes_add_note, notes_count, notes_get_note, "
        "notes_list_notes, notes_slow, read_file, run_command, sleep, store_value)",
    ]
    assert out[-1] == "Found 3 errors in 1 of 1 file."


def test_without_mcp_the_same_spec_is_not_checked_against_the_server(tmp_path: Path) -> None:
    assert lint(tmp_path, NOTES_SPEC).findings == []


def test_a_server_that_cannot_start_is_reported_where_it_is_declared(tmp_path: Path) -> None:
    spec = f"""\
    test: {{name: dead server}}
    mcp_servers:
      dead:
        command: {sys.executable}
        args: ["-c", "import sys; print('cannot start', file=sys.stderr); sys.exit(3)"]
        startup_timeout: 20
    steps:
      - tool: dead_anything
        args: {{x: 1}}
        check: result.ok
    """
    report = lint(tmp_path, spec, mcp=True)
    assert codes(report) == ["E405"]
    (finding,) = report.findings
    assert finding.location.line == 3
    assert "MCP server `dead` cannot be used" in finding.message
    assert "cannot start" in finding.message


def test_mcp_finds_a_tool_name_two_servers_would_share(tmp_path: Path) -> None:
    server = HERE.parent / "tools" / "mcp" / "servers" / "protocol_server.py"
    text = f"""\
test: {{name: names}}
mcp_servers:
  a:
    command: {sys.executable}
    args: ["{server}"]
    env: {{EXTRA_TOOL: b_c}}
  a_b:
    command: {sys.executable}
    args: ["{server}"]
    env: {{EXTRA_TOOL: c}}
steps:
  - tool: a.b_c
    check: result == "extra"
  - tool: a_b_c
    check: result == "extra"
"""
    report = lint(tmp_path, text, mcp=True)
    assert codes(report) == ["E409"]
    (finding,) = report.findings
    assert finding.location.line == 14
    assert "`a_b_c` is ambiguous: `b_c` of server `a`, `c` of server `a_b`" in finding.message
    assert finding.hint == "call `a.b_c` or `a_b.c`"
