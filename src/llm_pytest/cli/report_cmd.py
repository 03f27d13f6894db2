"""`llm-pytest report RUN_DIR`: the reports of a finished session again, from its run folder.

Prints the summary table and writes the formats asked for (``--html report.html``, one option
per registered format), as the session that wrote the folder would have.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
from pathlib import Path

from llm_pytest.reports import registry
from llm_pytest.reports.jsonl import read_run_dir
from llm_pytest.reports.registry import ReportContext
from llm_pytest.reports.terminal import summary_table

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR",
        help="a run folder of `pytest --llm` (.llm-pytest/runs/<timestamp>, or --llm-report-dir)",
    )
    for name in registry.format_names():
        parser.add_argument(
            f"--{name}", type=Path, metavar="PATH", help=registry.reporter(name).help
        )


def run(args: argparse.Namespace) -> int:
    records = read_run_dir(args.run_dir)
    targets: dict[str, Path] = {
        name: getattr(args, name)
        for name in registry.format_names()
        if getattr(args, name) is not None
    }
    options = [str(part) for name, path in targets.items() for part in (f"--{name}", path)]
    command = shlex.join(["llm-pytest", "report", str(args.run_dir), *options])
    width = shutil.get_terminal_size().columns
    context = ReportContext(command=command, width=width)
    for line in summary_table(records, width=width):
        print(line)
    for name, target in targets.items():
        written = registry.reporter(name).write(records, target, context)
        print(f"{name} report: {written}")
    return 0
