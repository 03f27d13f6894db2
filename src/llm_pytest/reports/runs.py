"""Run folders: each session's JSONL files go to a new ``<timestamp>`` folder under the runs
folder (in pytest's cache, ``.pytest_cache/d/llm-pytest/runs``), which keeps a ``latest``
pointer to the newest and only the last few runs. The run folders of shards merge into one run.

``latest`` is a symlink to the folder, or, where symlinks cannot be made, a file holding the
folder's name. Retention deletes only folders that look like ours: a timestamp name and nothing
inside but the files llm-pytest writes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from llm_pytest.errors import UsageError
from llm_pytest.reports.jsonl import ITEMS, PER_TRACE, RUNS_DIR, TRACE_SUMMARY, read_run_dir
from llm_pytest.reports.records import ItemRecord

__all__ = [
    "DEFAULT_KEEP_RUNS",
    "LATEST",
    "RUNS_DIR",
    "default_runs_dir",
    "find_latest",
    "latest_run",
    "merge_run_dirs",
    "new_run_dir",
    "point_latest",
    "prune_runs",
]

LATEST = "latest"
DEFAULT_KEEP_RUNS = 20

_STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"(\d{8}-\d{6})(?:-(\d+))?")
_OURS = {TRACE_SUMMARY, PER_TRACE, ITEMS}


def default_runs_dir(rootdir: Path) -> Path:
    """``RUNS_DIR`` under ``rootdir``, for a session without pytest's cache plugin: a cache folder
    this makes gets a ``.gitignore``, as pytest's own would."""
    top = rootdir / RUNS_DIR.parts[0]
    if not top.exists():
        top.mkdir(parents=True)
        (top / ".gitignore").write_text("# created by llm-pytest\n*\n", encoding="utf-8")
    return rootdir / RUNS_DIR


def new_run_dir(runs: Path, now: datetime | None = None) -> Path:
    """A fresh ``<timestamp>/`` folder under ``runs`` (suffixed ``-2``, ``-3``... when sessions
    start in the same second)."""
    runs.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime(_STAMP)
    for n in range(1, 1000):
        candidate = runs / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"too many run folders named {runs / stamp}*")


def point_latest(run: Path) -> None:
    """Make ``latest`` beside ``run`` point at it (replacing the old pointer in one step)."""
    latest = run.parent / LATEST
    if latest.is_dir() and not latest.is_symlink():
        return  # someone's own folder: not ours to replace
    temporary = run.parent / f".{LATEST}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    try:
        temporary.symlink_to(run.name, target_is_directory=True)
    except (OSError, NotImplementedError):
        temporary.write_text(run.name + "\n", encoding="utf-8")
    os.replace(temporary, latest)


def latest_run(runs: Path) -> Path | None:
    """The run folder ``runs/latest`` points at; None when there is none."""
    latest = runs / LATEST
    if latest.is_symlink():
        target = latest.resolve()
    elif latest.is_file():
        name = latest.read_text(encoding="utf-8").strip()
        target = runs / name if name and _NAME.fullmatch(name) else latest
    else:
        return None
    return target if target.is_dir() else None


def find_latest(start: Path) -> Path | None:
    """The latest run folder of the project ``start`` is in: the first ``RUNS_DIR/latest``
    found in ``start`` or a folder above it."""
    for folder in [start, *start.parents]:
        found = latest_run(folder / RUNS_DIR)
        if found is not None:
            return found
    return None


def prune_runs(runs: Path, keep: int, current: Path) -> list[Path]:
    """Delete the run folders under ``runs`` older than the newest ``keep`` (never ``current``,
    never a folder that does not look like ours); the folders deleted."""
    ours = sorted(
        (folder for folder in runs.iterdir() if _looks_like_ours(folder)),
        key=_age,
        reverse=True,
    )
    deleted = []
    for folder in ours[keep:]:
        if folder == current:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        deleted.append(folder)
    return deleted


def merge_run_dirs(directories: Sequence[Path]) -> list[ItemRecord]:
    """The records of several run folders (the shards of one suite) as one run's: in collection
    order. UsageError when a test is in two of them: they are not shards of one run."""
    seen: dict[str, Path] = {}
    merged: list[ItemRecord] = []
    for directory in directories:
        records = read_run_dir(directory)
        for nodeid in dict.fromkeys(r.nodeid for r in records):
            if nodeid in seen:
                raise UsageError(
                    f"{nodeid} is in both {seen[nodeid]} and {directory}: merge the run folders "
                    "of different shards of one run (--llm-shard I/N), each once"
                )
            seen[nodeid] = directory
        merged += records
    return sorted(merged, key=lambda r: r.order)


def _looks_like_ours(folder: Path) -> bool:
    if not _NAME.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
        return False
    return all(entry.name in _OURS and entry.is_file() for entry in folder.iterdir())


def _age(folder: Path) -> tuple[str, int]:
    match = _NAME.fullmatch(folder.name)
    return (match[1], int(match[2] or 1)) if match else ("", 0)
