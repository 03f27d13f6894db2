"""pytest-xdist: `-n 2` gives the outcomes and report contents of `-n 0`, and workers never
write report files of their own."""

from __future__ import annotations

import json

import pytest

from tests.pytest_plugin.plugin_support import run, write

SPECS = {
    "tests/llm/test_users.yaml": """\
        test: {name: "Users", tags: [api]}
        experiments:
          - {name: two, overrides: {vars.limit: 2}}
          - {name: ten, overrides: {vars.limit: 10}}
        vars: {limit: 3}
        steps:
          - tool: my_api_fetch_users
            args: {base_url: "http://127.0.0.1:9", limit: "${vars.limit}"}
            check: result.count == 2
        """,
    "tests/llm/test_half.yaml": """\
        test: {name: "Half", iterations: 4, min_pass_rate: 0.5}
        steps:
          - tool: store_value
            args: {name: i, value: "${iteration}"}
            check: result.value % 2 == 1
        """,
    "tests/llm/test_judged.yaml": """\
        test: {name: "Judged"}
        steps:
          - tool: my_api_create_user
            args: {name: "Alice", email: "alice@example.com"}
            expect: "A user is created"
        ---
        test: {name: "Later", skip: "not yet"}
        steps:
          - tool: store_value
            args: {name: a, value: 1}
        """,
}


def _runs(path: str) -> list[tuple[object, ...]]:
    with open(path, encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    return sorted((s["nodeid"], s["iteration"], s["outcome"], s["reason"]) for s in lines)


def test_two_workers_give_the_outcomes_and_reports_of_one_process(
    project: pytest.Pytester,
) -> None:
    for path, text in SPECS.items():
        write(project, path, text)
    common = ["--llm", "--llm-provider", "offline", "-rA"]
    serial = run(project, *common, "--llm-report-dir", "serial", "--llm-html", "serial.html")
    parallel = run(project, *common, "-n", "2", "--llm-report-dir", "par", "--llm-html", "par.html")
    expected = {"passed": 2, "failed": 1, "skipped": 2}
    serial.assert_outcomes(**expected)
    parallel.assert_outcomes(**expected)
    assert "2 workers" in parallel.stdout.str()
    assert _runs(f"{project.path}/serial/trace_summary.jsonl") == _runs(
        f"{project.path}/par/trace_summary.jsonl"
    )
    parallel.stdout.fnmatch_lines(
        [
            "*= llm-pytest summary =*",
            "total * 7 *",
            "items: 1 failed, 2 passed, 2 skipped",
        ]
    )
    assert sorted(p.name for p in (project.path / "par").iterdir()) == [
        "items.jsonl",
        "per_trace.jsonl",
        "trace_summary.jsonl",
    ]
    assert (project.path / "par.html").read_text().count('<section class="item"') == 5
    assert not (project.path / ".pytest_cache").exists()
