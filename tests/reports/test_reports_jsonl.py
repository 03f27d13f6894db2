"""The report directory and its two JSONL files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from llm_pytest.reports.jsonl import new_run_dir, write_jsonl
from llm_pytest.reports.records import ItemRecord
from tests.reports.reports_support import run_records


def test_run_dirs_are_timestamped_and_never_shared(tmp_path: Path) -> None:
    now = datetime(2025, 3, 4, 5, 6, 7)
    first = new_run_dir(tmp_path, now)
    second = new_run_dir(tmp_path, now)
    assert first == tmp_path / ".llm-pytest" / "runs" / "20250304-050607"
    assert second == tmp_path / ".llm-pytest" / "runs" / "20250304-050607-2"
    assert (tmp_path / ".llm-pytest" / ".gitignore").read_text().endswith("*\n")


def test_summary_has_one_line_per_run_and_per_trace_the_whole_trace(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    files = write_jsonl(records, tmp_path / "out")
    summary = [json.loads(line) for line in files.trace_summary.read_text().splitlines()]
    traces = [json.loads(line) for line in files.per_trace.read_text().splitlines()]
    assert len(summary) == len(traces) == 6
    assert [(s["test"], s["iteration"], s["outcome"]) for s in summary] == [
        ("Half", 1, "PASS"),
        ("Half", 2, "FAIL"),
        ("Half", 3, "PASS"),
        ("Half", 4, "FAIL"),
        ("Judged <b>bold</b>", 1, "FAIL"),
        ("Unjudged", 1, "UNCLEAR"),
    ]
    judged = summary[4]
    assert (judged["tokens"], judged["cost"]) == (120, 0.5)
    assert judged["reason"] == "the stored value is markup: <script>"
    assert traces[4]["judge"]["issues"] == ["values should be plain text"]
    assert traces[4]["steps"][0]["args"] == {"name": "html", "value": "<script>alert('x')</script>"}


def test_records_survive_a_round_trip_through_json(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    again = [ItemRecord.from_json(json.loads(json.dumps(r.to_json()))) for r in records]
    assert again == records
    assert [r.outcome for r in again] == ["passed", "failed", "skipped"]
    assert again[0].stats.flaky
    assert again[2].reasons("UNCLEAR") == ["cannot tell"]
