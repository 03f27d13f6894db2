"""The report directory and its two JSONL files."""

from __future__ import annotations

import json
from pathlib import Path

from llm_pytest.errors import SourceLocation
from llm_pytest.reports.jsonl import read_run_dir, write_jsonl
from llm_pytest.reports.records import ItemRecord
from tests.reports.reports_support import NO_JUDGE, run_records


def test_summary_has_one_line_per_run_and_per_trace_the_whole_trace(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    files = write_jsonl(records, tmp_path / "out")
    summary = [json.loads(line) for line in files.trace_summary.read_text().splitlines()]
    traces = [json.loads(line) for line in files.per_trace.read_text().splitlines()]
    assert len(summary) == len(traces) == 6
    assert [(s["test"], s["iteration"], s["outcome"], s["run_outcome"]) for s in summary] == [
        ("Half", 1, "passed", "PASS"),
        ("Half", 2, "passed", "FAIL"),
        ("Half", 3, "passed", "PASS"),
        ("Half", 4, "passed", "FAIL"),
        ("Judged <b>bold</b>", 1, "failed", "FAIL"),
        ("Unjudged", 1, "skipped", "UNCLEAR"),
    ]
    assert [t["outcome"] for t in traces] == ["PASS", "FAIL", "PASS", "FAIL", "FAIL", "UNCLEAR"]
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
    assert again[2].reasons("UNCLEAR") == [NO_JUDGE]


def test_items_file_has_one_line_per_item_with_its_outcome_and_number_of_runs(
    tmp_path: Path,
) -> None:
    files = write_jsonl(run_records(tmp_path), tmp_path / "out")
    items = [json.loads(line) for line in files.items.read_text().splitlines()]
    assert [(i["item"], i["outcome"], i["runs"]) for i in items] == [
        ("Half", "passed", 4),
        ("Judged <b>bold</b>", "failed", 1),
        ("Unjudged", "skipped", 1),
    ]
    assert items[0] == {
        "nodeid": "specs::Half",
        "group": "specs",
        "label": "Half",
        "spec": str(tmp_path / "test_specs.yaml"),
        "item": "Half",
        "test": "Half",
        "experiment": None,
        "outcome": "passed",
        "min_pass_rate": 0.5,
        "order": -1,
        "runs": 4,
    }


def test_a_run_folder_reads_back_as_the_records_written(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    files = write_jsonl(records, tmp_path / "out")
    assert read_run_dir(files.directory) == records


def test_step_locations_are_written_as_path_line_col_and_read_back_typed(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    files = write_jsonl(records, tmp_path / "out")
    first = json.loads(files.per_trace.read_text().splitlines()[0])
    spec = str(tmp_path / "test_specs.yaml")
    assert first["steps"][0]["location"] == f"{spec}:6:5"
    (again, *_) = read_run_dir(files.directory)
    assert again.runs[0].steps[0].location == SourceLocation(spec, 6, 5)
