"""`llm-pytest plan FILE`: the compiled plans of a spec file as JSON.

A step calling a tool that neither a built-in nor a plugin of the spec offers is an error at
the step, as under `pytest --llm` (plugins are found the same way).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llm_pytest.dsl.compiler import compile_file
from llm_pytest.errors import SpecErrors
from llm_pytest.runtime.settings import normalize_overrides
from llm_pytest.runtime.tools import SpecTools, missing_tools, project_plugin_dirs

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
    tools = SpecTools(project_plugin_dirs(args.file))
    missing = missing_tools(plans, tools.registry(args.file), tools.dirs(args.file))
    if missing:
        raise SpecErrors(missing)
    json.dump([p.to_json() for p in plans], sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
