"""The report directory: ``trace_summary.jsonl`` (one line per run) and ``per_trace.jsonl`` (one
full trace per line), written once, by the process that saw every item (the xdist controller)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from llm_pytest.reports.records import ItemRecord

__all__ = [
    "PER_TRACE",
    "RUNS_DIR",
    "TRACE_SUMMARY",
    "ReportFiles",
    "new_run_dir",
    "write_jsonl",
]

RUNS_DIR = Path(".llm-pytest", "runs")
TRACE_SUMMARY = "trace_summary.jsonl"
PER_TRACE = "per_trace.jsonl"


@dataclass(frozen=True)
class ReportFiles:
    directory: Path
    trace_summary: Path
    per_trace: Path


def new_run_dir(rootdir: Path, now: datetime | None = None) -> Path:
    """A fresh ``.llm-pytest/runs/<timestamp>/`` under ``rootdir`` (suffixed when two sessions
    start in the same second). The ``.llm-pytest`` folder gets a ``.gitignore`` of its own."""
    base = rootdir / RUNS_DIR
    base.mkdir(parents=True, exist_ok=True)
    ignore = base.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by llm-pytest\n*\n", encoding="utf-8")
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        candidate = base / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"too many report directories named {base / stamp}*")


def write_jsonl(records: Iterable[ItemRecord], directory: Path) -> ReportFiles:
    """Write both files into ``directory`` (created if needed), replacing earlier ones."""
    directory.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(directory, directory / TRACE_SUMMARY, directory / PER_TRACE)
    with (
        files.trace_summary.open("w", encoding="utf-8") as summary,
        files.per_trace.open("w", encoding="utf-8") as traces,
    ):
        for record in records:
            for line in record.summaries:
                summary.write(_line({"nodeid": record.nodeid, **line}))
            for run in record.runs:
                traces.write(_line({"nodeid": record.nodeid, **run}))
    return files


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=str) + "\n"
