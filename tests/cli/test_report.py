"""`llm-pytest report RUN_DIR`: a session's reports written again from its run folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from llm_pytest.reports.jsonl import RUNS_DIR, write_jsonl
from tests.pytest_plugin.plugin_support import HALF, MY_API_PLUGIN, run, write
from tests.reports.reports_support import run_records

USERS = """\
    test:
      name: "Users"
    experiments:
      - {name: "two", overrides: {vars.n: 2}}
      - {name: "none", overrides: {vars.n: 0}}
    vars: {n: 2}
    steps:
      - tool: my_api_fetch_users
        args: {base_url: "http://x", limit: "${vars.n}"}
        check: result.count > 0
      - tool: my_api_create_user
        args: {name: "Alice", email: "alice@example.com"}
        expect: "A user is created"
    """


def _report(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "report", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def _without_header(html: str) -> str:
    """The report without the line saying when and by which command it was made."""
    return re.sub(r'<div class="muted">generated .*?</div>', "", html)


def _summary_table(lines: list[str]) -> list[str]:
    """The table a session printed under "llm-pytest summary", without where its files went."""
    start = next(i for i, line in enumerate(lines) if "llm-pytest summary" in line) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("traces: "))
    return lines[start:end]


def test_report_writes_the_html_the_session_wrote_from_its_run_folder(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/plugins/my_api.py", MY_API_PLUGIN)
    write(pytester, "tests/llm/test_half.yaml", HALF)
    write(pytester, "tests/llm/test_users.yaml", USERS)
    session = run(pytester, "--llm", "--llm-provider", "offline", "--llm-html", "session.html")
    session.assert_outcomes(passed=1, failed=1, skipped=1)
    (run_dir,) = (p for p in (pytester.path / RUNS_DIR).iterdir() if p.name != "latest")

    done = _report(run_dir, "--html", "again.html", cwd=pytester.path)

    assert done.returncode == 0, done.stderr
    session_html = (pytester.path / "session.html").read_text(encoding="utf-8")
    again_html = (pytester.path / "again.html").read_text(encoding="utf-8")
    assert _without_header(again_html) == _without_header(session_html)
    for text in ("Half", "Users[two]", "Users[none]", "no judge configured"):
        assert text in again_html
    assert f"<code>llm-pytest report {run_dir} --html again.html</code>" in again_html
    assert again_html.count('<details class="run"') == 6
    table = _summary_table(session.stdout.lines)
    assert done.stdout.splitlines() == [*table, "html report: again.html"]


def test_a_folder_that_is_not_a_run_folder_is_an_error_saying_what_to_give(
    tmp_path: Path,
) -> None:
    done = _report(tmp_path, "--html", "out.html", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"llm-pytest: error: {tmp_path} is not a run folder: it has no items.jsonl; give a "
        "folder that `pytest --llm` wrote (one of .pytest_cache/d/llm-pytest/runs/*, or its "
        "--llm-report-dir)\n"
    )
    assert not (tmp_path / "out.html").exists()


@pytest.mark.parametrize(
    ("file", "line", "text", "problem"),
    [
        ("per_trace.jsonl", 2, "{not json", "Expecting property name enclosed in double quotes"),
        ("per_trace.jsonl", 3, '{"nodeid": "specs::Half", "iteration": "x"}', "spec_path:"),
        ("items.jsonl", 1, '{"nodeid": "specs::Half", "runs": 4}', "group: Field required"),
        ("items.jsonl", 2, "[1, 2]", "a line is one JSON object"),
    ],
)
def test_a_malformed_line_is_an_error_naming_its_file_and_line(
    tmp_path: Path, file: str, line: int, text: str, problem: str
) -> None:
    run_dir = write_jsonl(run_records(tmp_path), tmp_path / "run").directory
    path = run_dir / file
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    done = _report(run_dir, cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr.startswith(
        f"llm-pytest: error: {path}:{line}: not a line llm-pytest writes ("
    )
    assert problem in done.stderr
    assert done.stderr.rstrip().endswith("run `pytest --llm` again to write a new one")
    assert "Traceback" not in done.stderr
