"""Run folders of `pytest --llm`: in pytest's cache, a `latest` pointer, retention, and
`llm-pytest report` reading the latest run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llm_pytest.reports.jsonl import write_jsonl
from tests.pytest_plugin.plugin_support import HALF, run, write
from tests.reports.reports_support import run_records

RUNS = Path(".pytest_cache", "d", "llm-pytest", "runs")
WITH_CACHE = ("-p", "no:benchmark", "-p", "no:hypothesispytest")
"""Inner sessions with pytest's cache plugin, as a user's have it."""


def _cached(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest(*WITH_CACHE, *args)


def _folders(project: pytest.Pytester) -> list[str]:
    return sorted(p.name for p in (project.path / RUNS).iterdir() if p.name != "latest")


def _report(project: pytest.Pytester, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "report", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_each_session_writes_a_new_folder_in_pytests_cache_and_latest_points_at_it(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    first = _cached(project, "--llm")
    second = _cached(project, "--llm")
    folders = _folders(project)
    assert len(folders) == 2
    for result, folder in zip((first, second), folders, strict=True):
        result.stdout.fnmatch_lines([f"traces: {RUNS / folder}/"])
    latest = project.path / RUNS / "latest"
    assert latest.resolve() == (project.path / RUNS / folders[1]).resolve()
    assert (latest / "items.jsonl").is_file()
    assert (project.path / ".pytest_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not (project.path / ".llm-pytest").exists()


def test_without_pytests_cache_plugin_the_folders_go_where_its_cache_would_be(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    run(project, "--llm")  # with -p no:cacheprovider
    assert len(_folders(project)) == 1
    assert (project.path / ".pytest_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_older_run_folders_beyond_llm_keep_runs_are_deleted_at_the_session_end(
    project: pytest.Pytester, tmp_path: Path
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    records = run_records(tmp_path)
    old = ["20200101-000000", "20200102-000000", "20200103-000000"]
    for name in old:
        write_jsonl(records, project.path / RUNS / name)
    (project.path / RUNS / "my-notes").mkdir()
    project.makeini("[pytest]\nllm_keep_runs = 2\n")

    _cached(project, "--llm")

    folders = _folders(project)
    assert len(folders) == 3
    # the newest old one and this session's are kept; a folder that is not ours is never touched
    assert (folders[0], folders[2]) == ("20200103-000000", "my-notes")
    _cached(project, "--llm", "--llm-keep-runs", "0")
    assert len(_folders(project)) == 4  # 0 keeps every run


def test_a_bad_llm_keep_runs_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nllm_keep_runs = many\n")
    write(project, "tests/llm/test_half.yaml", HALF)
    result = run(project, "--llm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option llm_keep_runs: expected a whole number*'many'"])


def test_under_xdist_the_controller_alone_writes_one_folder(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    write(project, "tests/llm/test_half_again.yaml", HALF.replace('"Half"', '"Again"'))
    _cached(project, "--llm", "-n", "2").assert_outcomes(passed=2)
    (folder,) = _folders(project)
    items = (project.path / RUNS / folder / "items.jsonl").read_text().splitlines()
    assert len(items) == 2
    assert (project.path / RUNS / "latest").resolve().name == folder


def test_a_report_dir_given_is_written_alone_without_latest_or_retention(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    _cached(project, "--llm", "--llm-report-dir", "out")
    assert (project.path / "out" / "items.jsonl").is_file()
    assert not (project.path / RUNS).exists()


def test_report_without_a_folder_reads_the_latest_run_from_anywhere_in_the_project(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    missing = _report(project, cwd=project.path)
    assert missing.returncode == 2
    assert missing.stderr == (
        f"llm-pytest: error: no run folder given, and no {RUNS}/latest here or above: run "
        "`pytest --llm` first, or give the run folder (e.g. its --llm-report-dir)\n"
    )
    _cached(project, "--llm")
    (folder,) = _folders(project)

    done = _report(project, "--html", "again.html", cwd=project.path / "tests" / "llm")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"run folder: {(project.path / RUNS / folder).resolve()}"
    assert "  Half" in done.stdout
    assert "items: 1 passed" in lines
    assert (project.path / "tests" / "llm" / "again.html").is_file()
