"""Run folders: timestamped, a `latest` pointer, retention, and merging the folders of shards."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from llm_pytest.errors import UsageError
from llm_pytest.reports.jsonl import write_jsonl
from llm_pytest.reports.runs import (
    default_runs_dir,
    find_latest,
    latest_run,
    merge_run_dirs,
    new_run_dir,
    point_latest,
    prune_runs,
)
from tests.reports.reports_support import run_records


def test_run_dirs_are_timestamped_and_never_shared(tmp_path: Path) -> None:
    now = datetime(2025, 3, 4, 5, 6, 7)
    runs = default_runs_dir(tmp_path)
    first = new_run_dir(runs, now)
    second = new_run_dir(runs, now)
    assert first == tmp_path / ".pytest_cache" / "d" / "llm-pytest" / "runs" / "20250304-050607"
    assert second == first.with_name("20250304-050607-2")
    assert (tmp_path / ".pytest_cache" / ".gitignore").read_text().endswith("*\n")


def test_latest_points_at_the_newest_run_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = new_run_dir(runs, datetime(2025, 1, 1))
    point_latest(first)
    second = new_run_dir(runs, datetime(2025, 1, 2))
    point_latest(second)
    assert (runs / "latest").is_symlink()
    assert latest_run(runs) == second.resolve()


def test_where_symlinks_cannot_be_made_latest_is_a_file_naming_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, target: str, target_is_directory: bool = False) -> None:
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    runs = tmp_path / "runs"
    run = new_run_dir(runs, datetime(2025, 1, 1))
    point_latest(run)
    assert (runs / "latest").read_text() == "20250101-000000\n"
    assert latest_run(runs) == run
    assert find_latest(tmp_path / "elsewhere") is None


def test_retention_deletes_only_older_folders_that_look_like_ours(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    records = run_records(tmp_path)
    folders = [new_run_dir(runs, datetime(2025, 1, day)) for day in (1, 2, 3, 4)]
    for folder in folders:
        write_jsonl(records, folder)
    (folders[0] / "notes.txt").write_text("mine\n", encoding="utf-8")  # not only our files
    (runs / "keep-me").mkdir()
    (runs / "20240101-000000.bak").mkdir()
    current = folders[1]  # even when older than the others, the current run stays

    deleted = prune_runs(runs, 1, current)

    assert deleted == [folders[2]]
    assert sorted(p.name for p in runs.iterdir()) == [
        "20240101-000000.bak",
        "20250101-000000",
        "20250102-000000",
        "20250104-000000",
        "keep-me",
    ]


def test_merging_a_folder_twice_is_an_error_naming_both(tmp_path: Path) -> None:
    folder = write_jsonl(run_records(tmp_path), tmp_path / "one").directory
    with pytest.raises(UsageError, match=r"specs::Half is in both .*one and .*one: merge"):
        merge_run_dirs([folder, folder])
