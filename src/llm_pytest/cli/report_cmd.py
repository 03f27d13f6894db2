"""`llm-pytest report [RUN_DIR]` and `llm-pytest report merge RUN_DIR...`: the reports of
finished sessions again, from their run folders.

Prints the summary table and writes the formats asked for (``--html report.html``, one option
per registered format), as the session that wrote the folder would have. Without RUN_DIR it
reads the latest run (``runs/latest`` in the project's pytest cache); ``merge`` reads the run
folders of the shards of one run (``--llm-shard I/N``) as that one run.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
from pathlib import Path

from llm_pytest.errors import UsageError
from llm_pytest.reports import registry
from llm_pytest.reports.jsonl import RUNS_DIR, read_run_dir
from llm_pytest.reports.records import ItemRecord
from llm_pytest.reports.registry import ReportContext
from llm_pytest.reports.runs import find_latest, merge_run_dirs
from llm_pytest.reports.terminal import summary_table

__all__ = ["add_arguments", "run"]

MERGE = "merge"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "llm-pytest report [RUN_DIR | merge RUN_DIR [RUN_DIR ...]] " + " ".join(
        f"[--{name} PATH]" for name in registry.format_names()
    )
    parser.add_argument(
        "run_dirs",
        nargs="*",
        metavar="RUN_DIR",
        help=f"a run folder of `pytest --llm` (its --llm-report-dir, or {RUNS_DIR}/<timestamp>; "
        "default: the latest run); after `merge`, the run folders of a run's shards",
    )
    for name in registry.format_names():
        parser.add_argument(
            f"--{name}", type=Path, metavar="PATH", help=registry.reporter(name).help
        )


def run(args: argparse.Namespace) -> int:
    words: list[str] = list(args.run_dirs)
    records = _read(words)
    targets: dict[str, Path] = {
        name: getattr(args, name)
        for name in registry.format_names()
        if getattr(args, name) is not None
    }
    options = [str(part) for name, path in targets.items() for part in (f"--{name}", path)]
    command = shlex.join(["llm-pytest", "report", *words, *options])
    width = shutil.get_terminal_size().columns
    context = ReportContext(command=command, width=width)
    for line in summary_table(records, width=width):
        print(line)
    for name, target in targets.items():
        written = registry.reporter(name).write(records, target, context)
        print(f"{name} report: {written}")
    return 0


def _read(words: list[str]) -> list[ItemRecord]:
    """The records that the words after `report` name."""
    if words[:1] == [MERGE]:
        if len(words) == 1:
            raise UsageError(
                "`llm-pytest report merge` merges run folders: give the folders of the shards, "
                "e.g. llm-pytest report merge shard-1 shard-2 shard-3 --html report.html"
            )
        return merge_run_dirs([Path(word) for word in words[1:]])
    if len(words) > 1:
        raise UsageError(
            f"give one run folder, or merge the folders of shards with "
            f"`llm-pytest report merge {shlex.join(words)}`"
        )
    if words:
        return read_run_dir(Path(words[0]))
    latest = find_latest(Path.cwd())
    if latest is None:
        raise UsageError(
            f"no run folder given, and no {RUNS_DIR}/latest here or above: run `pytest --llm` "
            "first, or give the run folder (e.g. its --llm-report-dir)"
        )
    print(f"run folder: {latest}")
    return read_run_dir(latest)
