"""One truth for outcomes: the llm-pytest summary, items.jsonl, trace_summary.jsonl, the HTML
report and JUnit XML give every test the outcome pytest gave it, and count as its last line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.pytest_plugin.plugin_support import run, write

EVERY_OUTCOME = """\
    test: {name: "Passes"}
    steps:
      - {tool: store_value, args: {name: a, value: 1}, check: result.value == 1}
    ---
    test: {name: "Fails"}
    steps:
      - {tool: store_value, args: {name: a, value: 1}, check: result.value == 2}
    ---
    test: {name: "Skipped", skip: "not today"}
    steps:
      - {tool: store_value, args: {name: a, value: 1}}
    ---
    test: {name: "Known bug", xfail: "the value is off by one"}
    steps:
      - {tool: store_value, args: {name: a, value: 1}, check: result.value == 2}
    ---
    test: {name: "Fixed bug", xfail: "was off by one", iterations: 2}
    steps:
      - {tool: store_value, args: {name: a, value: 1}, check: result.value == 1}
    ---
    test: {name: "Broken setup"}
    steps:
      - {tool: store_value, args: {name: a, value: 1}}
    """

CONFTEST = """\
    def pytest_runtest_setup(item):
        if item.name == "Broken setup":
            raise RuntimeError("the service did not start")
    """

TWO_ITEMS = """\
    test: {name: "One"}
    steps:
      - {tool: store_value, args: {name: a, value: 1}, check: result.value == 1}
    ---
    test: {name: "Two"}
    steps:
      - {tool: store_value, args: {name: a, value: 2}, check: result.value == 1}
    """

RUNNER_TEST = """\
    def test_runs_two_items(llm_runner):
        result = llm_runner("specs/two.yaml")
        assert [item.outcome for item in result.items] == ["passed", "failed"]
    """

EXPECTED = {
    "tests/llm/test_every.yaml::Passes": "passed",
    "tests/llm/test_every.yaml::Fails": "failed",
    "tests/llm/test_every.yaml::Skipped": "skipped",
    "tests/llm/test_every.yaml::Known bug": "xfailed",
    "tests/llm/test_every.yaml::Fixed bug": "xpassed",
    "tests/llm/test_every.yaml::Broken setup": "error",
    "tests/test_runner.py::test_runs_two_items": "passed",
}


class _Sections(HTMLParser):
    """The ``data-outcome`` of every item section of the HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.outcomes.append(dict(attrs).get("data-outcome"))


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _final_counts(result: pytest.RunResult) -> dict[str, int]:
    """pytest's last line (``1 failed, 2 passed, 2 errors in 0.1s``) as outcome → count."""
    line = result.outlines[-1].strip("= ")
    counts = re.findall(r"(\d+) (\w+)", line.partition(" in ")[0])
    return {("error" if word == "errors" else word): int(n) for n, word in counts}


def _project(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_every.yaml", EVERY_OUTCOME)
    write(project, "tests/conftest.py", CONFTEST)
    write(project, "tests/specs/two.yaml", TWO_ITEMS)
    write(project, "tests/test_runner.py", RUNNER_TEST)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_every_report_counts_each_test_as_pytest_does(
    project: pytest.Pytester, workers: list[str]
) -> None:
    _project(project)
    result = run(
        project,
        "--llm",
        "-q",
        *workers,
        "--llm-report-dir",
        "out",
        "--llm-html",
        "report.html",
        "--junitxml",
        "junit.xml",
    )
    pytest_counts = _final_counts(result)
    assert pytest_counts == {
        "failed": 1,
        "passed": 2,
        "skipped": 1,
        "xfailed": 1,
        "xpassed": 1,
        "error": 1,
    }
    line = ", ".join(
        f"{n} {'errors' if w == 'error' and n > 1 else w}" for w, n in pytest_counts.items()
    )
    result.stdout.fnmatch_lines(["  Broken setup * 0 * - * no * - * - * - * 0 *", f"items: {line}"])

    items = _lines(project.path / "out" / "items.jsonl")
    outcomes = {str(i["nodeid"]): str(i["outcome"]) for i in items}
    assert outcomes == EXPECTED
    # The llm_runner test ran two items: two records, one test.
    assert [
        i["label"] for i in items if i["nodeid"] == "tests/test_runner.py::test_runs_two_items"
    ] == [
        "two.yaml::One",
        "two.yaml::Two",
    ]
    assert Counter(outcomes.values()) == pytest_counts

    summary = _lines(project.path / "out" / "trace_summary.jsonl")
    assert {(s["nodeid"], s["outcome"]) for s in summary} == {
        (nodeid, outcome)
        for nodeid, outcome in EXPECTED.items()
        if outcome not in ("skipped", "error")  # no runs
    }
    fixed = [s["run_outcome"] for s in summary if s["test"] == "Fixed bug"]
    assert fixed == ["PASS", "PASS"]

    html = (project.path / "report.html").read_text(encoding="utf-8")
    sections = _Sections()
    sections.feed(html)
    assert Counter(sections.outcomes) == {**pytest_counts, "passed": 3}  # a section per item
    assert f"<b>7</b>{line}</div>" in html
    assert "no runs: pytest reported it error before it ran" in html

    suite = ET.parse(project.path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "7",
        "failures": "1",
        "errors": "1",
        "skipped": "2",  # JUnit has no xfailed: a skip, as pytest writes it
    }
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in suite.iter("testcase")
    }
    assert properties["Fixed bug"] == {
        "llm_pass_rate": "1",
        "llm_runs": "2",
        "llm_runs_passed": "2",
        "llm_tokens": "0",
        "llm_cost_usd": "0.000000",
    }
    assert properties["test_runs_two_items"]["llm_pass_rate"] == "0.5"
    assert properties["Skipped"] == properties["Broken setup"] == {}


def test_the_report_command_counts_a_run_folder_as_the_session_did(
    project: pytest.Pytester,
) -> None:
    _project(project)
    result = run(project, "--llm", "-q", "--llm-report-dir", "out")
    (items_line,) = [line for line in result.outlines if line.startswith("items: ")]
    done = subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "report", "out"],
        capture_output=True,
        text=True,
        cwd=project.path,
        check=True,
    )
    assert items_line in done.stdout.splitlines()


def test_a_strict_xpass_is_failed_in_every_report_as_pytest_counts_it(
    project: pytest.Pytester,
) -> None:
    _project(project)
    project.makeini("[pytest]\nxfail_strict = true\n")
    result = run(project, "--llm", "-q", "--llm-report-dir", "out", "tests/llm")
    counts = _final_counts(result)
    assert counts == {"failed": 2, "passed": 1, "skipped": 1, "xfailed": 1, "error": 1}
    result.stdout.fnmatch_lines(["items: 2 failed, 1 passed, 1 skipped, 1 xfailed, 1 error"])
    items = _lines(project.path / "out" / "items.jsonl")
    fixed = next(i for i in items if i["test"] == "Fixed bug")
    assert fixed["outcome"] == "failed"
