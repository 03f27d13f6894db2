"""The terminal summary table."""

from __future__ import annotations

from pathlib import Path

from llm_pytest.reports.terminal import format_cost, format_ms, summary_table
from tests.reports.reports_support import NO_JUDGE, run_records


def test_table_has_a_row_per_item_under_its_group_and_totals(tmp_path: Path) -> None:
    lines = summary_table(run_records(tmp_path), width=120)
    assert lines[0].split() == [
        "item",
        "runs",
        "pass",
        "rate",
        "flaky",
        "pass^3",
        "avg",
        "p95",
        "tokens",
        "cost",
    ]
    assert lines[1] == "specs"
    half, judged, unjudged = (line.split() for line in lines[2:5])
    assert half[:5] == ["Half", "4", "50%", "yes", "0%"]
    assert judged[:6] == ["Judged", "<b>bold</b>", "1", "0%", "no", "-"]
    assert judged[-2:] == ["120", "$0.5000"]
    assert unjudged[1:5] == ["1", "-", "no", "-"]
    assert set(lines[5]) == {"-"}
    assert lines[6].startswith("total ")
    assert lines[6].split()[-2:] == ["120", "$0.5000"]
    assert lines[7] == "items: 1 failed, 1 passed, 1 skipped"


def test_long_item_names_are_cut_to_the_width_but_stay_readable(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    records[0].label = "A very long test name " * 6
    lines = summary_table(records, width=80)
    row = lines[2]
    assert row.startswith("  A very long test name")
    assert "…" in row
    assert row.split()[-8:-6] == ["4", "50%"]


def test_durations_and_costs_are_human_sized() -> None:
    durations = [format_ms(v) for v in (0.25, 12.4, 1530, 125_000)]
    assert durations == ["0.2ms", "12ms", "1.53s", "2.1min"]
    assert [format_cost(v) for v in (0.0, 0.00042, 3.5)] == ["$0.0000", "$0.0004", "$3.50"]


def test_verdicts_from_the_judge_cache_are_counted_under_the_totals(tmp_path: Path) -> None:
    records = run_records(tmp_path)
    assert "judge cache" not in "\n".join(summary_table(records))
    judged = next(r for r in records if r.label.startswith("Judged"))
    assert judged.runs[0].judge is not None
    judged.runs[0].judge.cached = True
    lines = summary_table(records)
    assert lines[8] == (
        "1 of 2 verdicts came from the judge cache (--llm-cache off asks the judge again)"
    )


def test_unclear_runs_are_counted_by_cause_and_each_item_with_them_gives_its_reason(
    tmp_path: Path,
) -> None:
    lines = summary_table(run_records(tmp_path))
    assert lines[8:] == [
        "UNCLEAR runs: 1 of 6 (no judge configured: 1)",
        f"SKIPPED specs::Unjudged: {NO_JUDGE}",
    ]
