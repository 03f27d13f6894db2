"""A plugin calling ``sys.exit`` is an ordinary located error of the session, never an
internal error: at import, a collection error at its line; in a tool, a failed step whose
runs are in the reports."""

from __future__ import annotations

import json

import pytest

from tests.pytest_plugin.plugin_support import run, write

EXITER = """\
    import sys

    from llm_pytest import LLMPlugin

    class Exiter(LLMPlugin):
        name = "exiter"

        async def leave(self) -> dict:
            sys.exit(3)
    """

SPEC = """\
    test: {name: "Leaves", iterations: 2}
    steps:
      - tool: exiter_leave
    """


def test_sys_exit_at_plugin_import_is_a_collection_error_at_its_line(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_leaves.yaml", SPEC)
    write(project, "tests/llm/plugins/exiter.py", "import sys\nsys.exit('no key')\n")
    result = run(project, "--llm")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*/tests/llm/plugins/exiter.py:2:1: plugin failed to import: SystemExit: no key"]
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED  # what pytest gives any collection error
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_tool_calling_sys_exit_fails_its_item_and_its_runs_are_reported(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_leaves.yaml", SPEC)
    write(project, "tests/llm/plugins/exiter.py", EXITER)
    result = run(project, "--llm", "--llm-report-dir", "out")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the tool raised SystemExit(3) at */plugins/exiter.py:9*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    lines = (project.path / "out" / "per_trace.jsonl").read_text().splitlines()
    assert [json.loads(line)["outcome"] for line in lines] == ["FAIL", "FAIL"]
