"""Reports of runs whose values no report can hold as they are: written all the same."""

from __future__ import annotations

import json

import pytest

from tests.pytest_plugin.plugin_support import run, write

HUGE_PLUGIN = '''\
from llm_pytest import LLMPlugin


class Huge(LLMPlugin):
    name = "huge"

    async def number(self) -> int:
        """A number of 5001 digits."""
        return 10**5000
'''

SPECS = f"""\
    test:
      name: "Surrogate"
    steps:
      - tool: store_value
        args: {{name: s, value: '${{"\\uD800"}}'}}
    ---
    test:
      name: "Plugin number"
    steps:
      - tool: huge_number
    ---
    test:
      name: "Hex variable"
    vars: {{x: 0x{"F" * 4000}}}
    steps:
      - tool: store_value
        args: {{name: x, value: "${{vars.x}}"}}
    ---
    test:
      name: "Plain"
    steps:
      - tool: store_value
        args: {{name: a, value: 1}}
    """


def _traces(project: pytest.Pytester) -> dict[str, dict[str, object]]:
    lines = (project.path / "out" / "per_trace.jsonl").read_text(encoding="utf-8").splitlines()
    return {trace["test_name"]: trace for trace in map(json.loads, lines)}


def test_surrogates_and_huge_integers_become_placeholders_and_every_report_is_written(
    project: pytest.Pytester,
) -> None:
    (project.path / "tests" / "llm" / "plugins" / "huge.py").write_text(HUGE_PLUGIN)
    write(project, "tests/llm/test_values.yaml", SPECS)
    result = run(project, "--llm", "--llm-report-dir", "out", "--llm-html", "report.html")
    result.assert_outcomes(passed=4)
    assert result.ret == 0
    traces = _traces(project)
    assert traces["Surrogate"]["steps"][0]["result"]["value"] == "\\ud800"  # type: ignore[index]
    assert traces["Plugin number"]["steps"][0]["result"] == "<int of 5001 digits>"  # type: ignore[index]
    assert traces["Hex variable"]["steps"][0]["args"]["value"] == "<int of 4817 digits>"  # type: ignore[index]
    assert traces["Plain"]["outcome"] == "PASS"
    html = (project.path / "report.html").read_text(encoding="utf-8")
    assert "&lt;int of 5001 digits&gt;" in html
    assert "\\ud800" in html
    result.stdout.fnmatch_lines(["total * 4 * 100% *"])


def test_a_failure_report_shows_placeholders_for_values_it_cannot_write(
    project: pytest.Pytester,
) -> None:
    (project.path / "tests" / "llm" / "plugins" / "huge.py").write_text(HUGE_PLUGIN)
    write(
        project,
        "tests/llm/test_values.yaml",
        """\
        test:
          name: "Surrogate"
        steps:
          - tool: store_value
            args: {name: s, value: '${"\\uD800"}'}
            check: result.value == "x"
        ---
        test:
          name: "Plugin number"
        steps:
          - tool: huge_number
            check: result == 1
        """,
    )
    result = run(project, "--llm", "--llm-report-dir", "out")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            '    result: {"stored": "s", "value": "\\\\ud800"}',
            '    result: "<int of 5001 digits>"',
        ]
    )
    assert set(_traces(project)) == {"Surrogate", "Plugin number"}
