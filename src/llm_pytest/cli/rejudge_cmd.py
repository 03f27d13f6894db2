"""`llm-pytest rejudge RUN_DIR --llm-provider X --llm-model Y`: a finished session's runs judged
again by another judge, from their recorded traces, without running any tool.

Writes a new run folder (``--out``, default a fresh ``<timestamp>/`` folder next to
``RUN_DIR``) holding the new traces plus
``comparison.txt`` and ``comparison.jsonl``; prints the comparison (``item  PASS → FAIL`` per
changed verdict, then the counts) and the new run's summary table with what the judge cost.
Exit code 0 whatever changed, 1 when the judge could not work, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
from pathlib import Path

import anyio

from llm_pytest.cli.judge_options import add_judge_arguments, judge_from_args
from llm_pytest.errors import UsageError
from llm_pytest.reports import registry
from llm_pytest.reports.jsonl import read_run_dir, write_jsonl
from llm_pytest.reports.registry import ReportContext
from llm_pytest.reports.runs import new_run_dir
from llm_pytest.reports.terminal import summary_table
from llm_pytest.runtime.rejudge import Comparison, rejudge

__all__ = ["COMPARISON_JSONL", "COMPARISON_TXT", "add_arguments", "run"]

COMPARISON_TXT = "comparison.txt"
COMPARISON_JSONL = "comparison.jsonl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR",
        help="a run folder of `pytest --llm` (`llm-pytest report` names the latest)",
    )
    add_judge_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="the new run folder (default: a fresh one beside RUN_DIR)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="runs judged at once (default 4)"
    )
    parser.add_argument(
        "--llm-unclear",
        choices=("skip", "fail"),
        default="skip",
        help="the UNCLEAR policy item outcomes are decided by, as in the session (default skip)",
    )
    for name in registry.format_names():
        if name != "jsonl":
            parser.add_argument(
                f"--{name}", type=Path, metavar="PATH", help=registry.reporter(name).help
            )


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be a whole number ≥ 1, not {args.concurrency}")
    records = read_run_dir(args.run_dir)
    judge, description = judge_from_args(args)
    print(f"rejudge: {args.run_dir} with {description.removeprefix('judge: ')}")

    async def main() -> Comparison:
        return await rejudge(records, judge, concurrency=args.concurrency, unclear=args.llm_unclear)

    comparison = anyio.run(main)
    out = args.out if args.out is not None else new_run_dir(args.run_dir.resolve().parent)
    write_jsonl(comparison.records, out)
    lines = comparison.lines()
    (out / COMPARISON_TXT).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    with (out / COMPARISON_JSONL).open("w", encoding="utf-8") as jsonl:
        for entry in comparison.to_json():
            jsonl.write(json.dumps(entry, ensure_ascii=False) + "\n")
    width = shutil.get_terminal_size().columns
    for line in summary_table(comparison.records, width=width):
        print(line)
    print("comparison:")
    for line in lines:
        print(f"  {line}")
    print(f"new run folder: {out}")
    command = shlex.join(["llm-pytest", "rejudge", str(args.run_dir)])
    context = ReportContext(command=command, width=width)
    for name in registry.format_names():
        target = getattr(args, name, None)
        if name != "jsonl" and target is not None:
            written = registry.reporter(name).write(comparison.records, target, context)
            print(f"{name} report: {written}")
    return 0
