"""Report formats by name: every one writes its report of the same records."""

from __future__ import annotations

from pathlib import Path

from llm_pytest.reports.registry import ReportContext, format_names, reporter
from llm_pytest.reports.terminal import summary_table
from tests.reports.reports_support import run_records


def test_the_session_formats_are_registered_by_name() -> None:
    assert format_names() == ["jsonl", "html", "terminal"]


def test_every_format_writes_its_report_where_it_is_told(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    context = ReportContext(command="pytest --llm", width=100)
    written = {
        name: reporter(name).write(records, tmp_path / "out" / name, context)
        for name in format_names()
    }
    assert written == {name: tmp_path / "out" / name for name in format_names()}
    assert sorted(p.name for p in written["jsonl"].iterdir()) == [
        "items.jsonl",
        "per_trace.jsonl",
        "trace_summary.jsonl",
    ]
    assert "<code>pytest --llm</code>" in written["html"].read_text(encoding="utf-8")
    table = written["terminal"].read_text(encoding="utf-8").splitlines()
    assert table == summary_table(records, width=100)
