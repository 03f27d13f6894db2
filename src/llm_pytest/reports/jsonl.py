"""The run folder: ``trace_summary.jsonl`` (one line per run: its test's pytest ``outcome`` and
its own ``run_outcome``), ``per_trace.jsonl`` (one full trace per line) and ``items.jsonl`` (one
line per item: its pytest outcome and how many runs of ``per_trace.jsonl`` are its own).
Written once, by the process that saw every item (the xdist controller), and read back by
``llm-pytest report``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from llm_pytest.errors import UsageError
from llm_pytest.model.jsonsafe import json_safe
from llm_pytest.model.trace import RunTrace
from llm_pytest.reports.decode import decode_trace
from llm_pytest.reports.records import ItemRecord
from llm_pytest.reports.registry import ReportContext

__all__ = [
    "ITEMS",
    "PER_TRACE",
    "REPORTER",
    "RUNS_DIR",
    "TRACE_SUMMARY",
    "ReportFiles",
    "read_run_dir",
    "summary_line",
    "write_jsonl",
]

RUNS_DIR = Path(".pytest_cache", "d", "llm-pytest", "runs")
"""Where run folders go under the rootdir: pytest's cache, as ``cache.mkdir("llm-pytest")``."""
TRACE_SUMMARY = "trace_summary.jsonl"
PER_TRACE = "per_trace.jsonl"
ITEMS = "items.jsonl"

T = TypeVar("T")


@dataclass(frozen=True)
class ReportFiles:
    directory: Path
    trace_summary: Path
    per_trace: Path
    items: Path

    @classmethod
    def of(cls, directory: Path) -> ReportFiles:
        return cls(directory, directory / TRACE_SUMMARY, directory / PER_TRACE, directory / ITEMS)


def write_jsonl(records: Sequence[ItemRecord], directory: Path) -> ReportFiles:
    """Write the three files into ``directory`` (created if needed), replacing earlier ones."""
    directory.mkdir(parents=True, exist_ok=True)
    files = ReportFiles.of(directory)
    with (
        files.trace_summary.open("w", encoding="utf-8") as summary,
        files.per_trace.open("w", encoding="utf-8") as traces,
        files.items.open("w", encoding="utf-8") as items,
    ):
        for record in records:
            items.write(_line({**record.head(), "runs": len(record.runs)}))
            for run in record.runs:
                summary.write(_line(summary_line(record, run)))
                traces.write(_line({"nodeid": record.nodeid, **run.to_json()}))
    return files


def summary_line(record: ItemRecord, run: RunTrace) -> dict[str, Any]:
    """One line of ``trace_summary.jsonl``: the run's summary, with ``outcome`` its test's
    outcome in pytest's words and ``run_outcome`` the run's own (PASS, FAIL or UNCLEAR)."""
    data = run.summary()
    data["run_outcome"] = data.pop("outcome")
    return {"nodeid": record.nodeid, "outcome": record.outcome, **data}


def write_summary_file(records: Sequence[ItemRecord], path: Path) -> Path:
    """Write ``trace_summary.jsonl``'s lines (one per run, with its test's outcome) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            for run in record.runs:
                out.write(_line(summary_line(record, run)))
    return path


class _JsonlReporter:
    help = (
        "a file ending in .jsonl gets one summary line per run (as trace_summary.jsonl); any "
        "other path is a run folder to write trace_summary.jsonl, per_trace.jsonl and "
        "items.jsonl to (which `llm-pytest report` reads again)"
    )

    def write(self, records: Sequence[ItemRecord], target: Path, context: ReportContext) -> Path:
        if target.suffix == ".jsonl":
            return write_summary_file(records, target)
        return write_jsonl(records, target).directory


REPORTER = _JsonlReporter()


def read_run_dir(directory: Path) -> list[ItemRecord]:
    """The records a run folder holds; UsageError, saying where and what to do, for a folder
    that is not one or a line that is not what llm-pytest writes."""
    files = ReportFiles.of(directory)
    for needed in (files.items, files.per_trace):
        if not needed.is_file():
            raise UsageError(
                f"{directory} is not a run folder: it has no {needed.name}; give a folder that "
                f"`pytest --llm` wrote (one of {RUNS_DIR}/*, or its --llm-report-dir)"
            )
    traces = _lines(files.per_trace)
    records = []
    for where, head in _lines(files.items):
        record = _parse(where, ItemRecord.head_from_json, head)
        for _ in range(_run_count(where, head)):
            at, data = next(traces, (f"{files.per_trace}: end of file", {}))
            if data.get("nodeid") != record.nodeid:
                raise _bad(at, f"expected a run of {record.nodeid} (listed at {where})")
            record.runs.append(_parse(at, decode_trace, data))
        records.append(record)
    extra = next(traces, None)
    if extra is not None:
        raise _bad(extra[0], f"a run that no item of {files.items} lists")
    return records


def _run_count(where: str, head: dict[str, Any]) -> int:
    runs = head.get("runs")
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 0:
        raise _bad(where, f"`runs` is the number of the item's runs, got {runs!r}")
    return runs


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            data = _parse(where, json.loads, line)
            if not isinstance(data, dict):
                raise _bad(where, "a line is one JSON object")
            yield where, data


def _parse(where: str, parse: Callable[[Any], T], value: Any) -> T:
    try:
        return parse(value)
    except ValueError as exc:
        raise _bad(where, str(exc).splitlines()[0]) from None


def _bad(where: str, problem: str) -> UsageError:
    return UsageError(
        f"{where}: not a line llm-pytest writes ({problem}); the run folder is damaged or "
        "was edited: run `pytest --llm` again to write a new one"
    )


def _line(data: dict[str, Any]) -> str:
    # names and reasons may hold what a trace's values may (a lone surrogate): one such value
    # must not lose the line, nor every line after it
    return json.dumps(json_safe(data), ensure_ascii=False) + "\n"
