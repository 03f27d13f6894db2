"""`llm-pytest report merge DIR...`: the run folders of three shards make the report of one
whole run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.pytest_plugin.plugin_support import HALF, MY_API_PLUGIN, run, write

CHECKED = """\
    test: {{name: "{name}"{extra}}}
    steps:
      - {{tool: store_value, args: {{name: a, value: {value}}}, check: result.value == 1}}
    """

RUNNER_TEST = """\
    def test_half_twice(llm_runner):
        llm_runner("llm/test_half.yaml", iterations=2)
    """


def _suite(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    items = [
        ("Passes", 1, ""),
        ("Fails", 2, ""),
        ("Skipped", 1, ', skip: "not today"'),
        ("Known bug", 2, ', xfail: "off by one"'),
        ("Fixed bug", 1, ', xfail: "was off by one"'),
        ("Also passes", 1, ""),
        ("Zeta", 1, ""),
    ]
    specs = [CHECKED.format(name=n, value=v, extra=e) for n, v, e in items]
    write(project, "tests/llm/test_checks.yaml", "---\n".join(specs))
    write(project, "tests/llm/test_more.yaml", "---\n".join(reversed(specs[:3])))
    write(project, "tests/test_runner.py", RUNNER_TEST)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _untimed(data: object) -> object:
    """``data`` without what differs from one run to the next: durations and latencies."""
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if not k.endswith("_ms")}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def _table(text: str) -> list[list[str]]:
    """The summary table's words, durations and the files written left out."""
    timeless = re.sub(r"\b\d+(\.\d+)?(ms|s|min)\b", "", text)
    lines = [line for line in timeless.splitlines() if not re.match(r"\w+ report: ", line)]
    return [line.split() for line in lines if line.strip()]


class _Outcomes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" or dict(attrs).get("class") == "run":
            self.found.append((tag, dict(attrs).get("data-outcome")))


def _html(path: Path) -> list[tuple[str | None, str | None]]:
    parser = _Outcomes()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


def _report(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "report", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_three_shards_merged_report_as_one_whole_run(pytester: pytest.Pytester) -> None:
    project = pytester
    write(project, "tests/llm/plugins/my_api.py", MY_API_PLUGIN)
    _suite(project)
    common = ["--llm", "--llm-concurrency", "1"]
    whole = run(project, *common, "--llm-report-dir", "whole")
    whole.assert_outcomes(passed=6, failed=2, skipped=2, xfailed=1, xpassed=1)
    for index in (1, 2, 3):
        run(project, *common, f"--llm-shard={index}/3", "--llm-report-dir", f"shard-{index}")
    shards = [_lines(project.path / f"shard-{i}" / "items.jsonl") for i in (1, 2, 3)]
    assert all(shards) and sum(map(len, shards)) == len(_lines(project.path / "whole/items.jsonl"))

    merged = _report(
        "merge", "shard-1", "shard-2", "shard-3", "--html", "merged.html", "--jsonl", "merged",
        cwd=project.path,
    )  # fmt: skip
    again = _report("whole", "--html", "whole.html", cwd=project.path)

    assert merged.returncode == 0, merged.stderr
    out = project.path
    assert _lines(out / "merged" / "items.jsonl") == _lines(out / "whole" / "items.jsonl")
    for name in ("trace_summary.jsonl", "per_trace.jsonl"):
        assert _untimed(_lines(out / "merged" / name)) == _untimed(_lines(out / "whole" / name))
    assert _html(out / "merged.html") == _html(out / "whole.html")
    assert _table(merged.stdout) == _table(again.stdout)
    # A path ending in .jsonl is one file: the summary line of every run, as the session wrote.
    single = _report("merge", "shard-1", "shard-2", "shard-3", "--jsonl", "out.jsonl", cwd=out)
    assert single.returncode == 0, single.stderr
    assert _untimed(_lines(out / "out.jsonl")) == _untimed(
        _lines(out / "whole/trace_summary.jsonl")
    )
    items = "items: 2 failed, 6 passed, 2 skipped, 1 xfailed, 1 xpassed"
    assert items in whole.outlines
    assert items in merged.stdout.splitlines()


def test_merge_without_folders_says_what_to_give(tmp_path: Path) -> None:
    done = _report("merge", cwd=tmp_path)
    assert done.returncode == 2
    assert "give the folders of the shards, e.g. llm-pytest report merge shard-1" in done.stderr


def test_two_folders_without_merge_is_an_error_suggesting_merge(tmp_path: Path) -> None:
    done = _report("a", "b", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "llm-pytest: error: give one run folder, or merge the folders of shards with "
        "`llm-pytest report merge a b`\n"
    )
