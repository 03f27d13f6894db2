"""`llm-pytest schema`: print (or check) the generated JSON Schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llm_pytest.dsl.schema import schema_text

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fragments", action="store_true", help="the schema of fragment files instead"
    )
    parser.add_argument(
        "--check",
        metavar="FILE",
        type=Path,
        help="exit 1 when FILE differs from the generated schema (for CI)",
    )


def run(args: argparse.Namespace) -> int:
    text = schema_text(fragments=args.fragments)
    if args.check is None:
        sys.stdout.write(text)
        return 0
    current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
    if current != text:
        print(
            f"{args.check} is stale: regenerate it with "
            f"`llm-pytest schema{' --fragments' if args.fragments else ''} > {args.check}`",
            file=sys.stderr,
        )
        return 1
    return 0
