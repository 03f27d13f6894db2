"""`llm-pytest plan FILE`: the compiled plans of a spec file as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llm_pytest.api import normalize_overrides
from llm_pytest.dsl.compiler import compile_file

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a spec file")
    parser.add_argument(
        "--override",
        "-o",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="apply an override, like --llm-override (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    plans = compile_file(args.file, normalize_overrides(args.override, "--override"))
    json.dump([p.to_json() for p in plans], sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
