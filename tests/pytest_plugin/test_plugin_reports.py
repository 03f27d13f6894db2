"""The terminal summary and the report files of a `pytest --llm` session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pytest_plugin.plugin_support import HALF, run, write

JUDGED = """\
    test:
      name: "Judged"
    steps:
      - tool: my_api_create_user
        args: {name: "Alice", email: "alice@example.com"}
        expect: "A user is created"
    """


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_summary_table_shows_runs_rates_flakiness_and_totals(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    write(project, "tests/llm/test_judged.yaml", JUDGED)
    result = run(project, "--llm", "--llm-provider", "offline")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*= llm-pytest summary =*",
            "item * runs * pass rate * flaky * pass^3 * avg * p95 * tokens * cost",
            "tests/llm/test_half.yaml",
            "  Half * 4 * 50% * yes * 0% * *ms * *ms * 0 * $0.0000",
            "tests/llm/test_judged.yaml",
            "  Judged * 1 * - * no * - *",
            "total * 5 * 50% *",
            "items: 1 passed, 1 skipped",
            "traces: .pytest_cache/d/llm-pytest/runs/*/",
        ]
    )


def test_nothing_is_printed_or_written_when_no_spec_ran(project: pytest.Pytester) -> None:
    write(project, "tests/test_plain.py", "def test_plain():\n    pass\n")
    result = run(project, "--llm")
    result.assert_outcomes(passed=1)
    assert "llm-pytest summary" not in result.stdout.str()
    assert not (project.path / ".pytest_cache").exists()
    write(project, "tests/llm/test_half.yaml", HALF)
    collected = run(project, "--llm", "--collect-only")
    assert "llm-pytest summary" not in collected.stdout.str()
    assert not (project.path / ".pytest_cache").exists()


def test_trace_files_hold_one_line_per_run(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    run(project, "--llm", "--llm-report-dir", "out", "--llm-concurrency", "1")
    summary = _lines(project.path / "out" / "trace_summary.jsonl")
    assert [(s["test"], s["iteration"], s["outcome"], s["run_outcome"]) for s in summary] == [
        ("Half", 1, "passed", "PASS"),
        ("Half", 2, "passed", "FAIL"),
        ("Half", 3, "passed", "PASS"),
        ("Half", 4, "passed", "FAIL"),
    ]
    assert set(summary[0]) == {
        "nodeid",
        "outcome",
        "spec",
        "test",
        "experiment",
        "iteration",
        "run_outcome",
        "duration_ms",
        "tokens",
        "cost",
        "reason",
    }
    assert summary[0]["spec"] == "tests/llm/test_half.yaml"
    assert summary[0]["nodeid"] == "tests/llm/test_half.yaml::Half"
    assert "result.value % 2 == 1" in str(summary[1]["reason"])
    traces = _lines(project.path / "out" / "per_trace.jsonl")
    assert len(traces) == 4
    step = traces[1]["steps"][0]  # type: ignore[index]
    assert step["name"] == "Store the iteration"
    assert step["args"] == {"name": "i", "value": 2}
    assert step["checks"][0]["values"] == [["result.value", "2"]]


def test_html_report_holds_items_iterations_reasons_and_steps(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    write(project, "tests/llm/test_judged.yaml", JUDGED)
    run(project, "--llm", "--llm-provider", "offline", "--llm-html", "report.html")
    html = (project.path / "report.html").read_text(encoding="utf-8")
    assert "tests/llm/test_half.yaml" in html
    assert html.count('<details class="run"') == 5
    assert "no judge configured" in html
    assert "Store the iteration" in html
    assert "--llm --llm-provider offline --llm-html report.html" in html  # the command line


def test_items_file_lists_every_item_with_its_outcome_under_xdist_too(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    write(
        project,
        "tests/test_runner.py",
        """\
        def test_half_twice(llm_runner):
            llm_runner("llm/test_half.yaml", iterations=2)
        """,
    )
    result = run(project, "--llm", "-n", "2", "--llm-report-dir", "out")
    result.assert_outcomes(passed=2)
    items = sorted(_lines(project.path / "out" / "items.jsonl"), key=lambda i: str(i["nodeid"]))
    assert [(i["nodeid"], i["group"], i["label"], i["outcome"], i["runs"]) for i in items] == [
        ("tests/llm/test_half.yaml::Half", "tests/llm/test_half.yaml", "Half", "passed", 4),
        (
            "tests/test_runner.py::test_half_twice",
            "tests/test_runner.py::test_half_twice",
            "test_half.yaml::Half",
            "passed",
            2,
        ),
    ]
