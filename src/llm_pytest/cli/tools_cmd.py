"""`llm-pytest tools`: the tools specs can call (built-ins and plugins), with their arguments."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llm_pytest.runtime.project import find_config
from llm_pytest.runtime.tools import build_registry

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugins",
        action="append",
        type=Path,
        metavar="DIR",
        help="plugin folder (repeatable; default: llm_plugin_dirs of the pytest configuration, "
        "else tests/llm/plugins under its rootdir)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print names, descriptions, argument schemas and result fields",
    )


def run(args: argparse.Namespace) -> int:
    registry = build_registry(args.plugins or find_config(Path.cwd()).plugin_dirs)
    if args.json:
        data = [
            {
                "name": t.name,
                "aliases": list(t.aliases),
                "source": t.source,
                "description": t.description,
                "input_schema": dict(t.input_schema),
                "result_fields": dict(t.result_fields),
            }
            for t in registry
        ]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for tool in registry:
        props = tool.input_schema.get("properties", {})
        required = set(tool.input_schema.get("required", []))
        params = ", ".join(p if p in required else f"{p}?" for p in props)
        first = (tool.description or "").strip().splitlines()[0:1]
        print(f"{tool.name}({params})  [{tool.source}]" + (f"  {first[0]}" if first else ""))
    return 0
