"""`llm-pytest`: lint | schema | plan | tools | mcp serve | init | report | rejudge |
judge-eval | docs.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``;
this module only builds the parser and turns our errors into messages and exit codes
(0 fine, 1 problems found, 2 usage error).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from llm_pytest.errors import LlmPytestError, SpecError, UsageError

__all__ = ["describe", "main"]

# name → (module, help)
_COMMANDS = {
    "lint": (
        "llm_pytest.cli.lint_cmd",
        "check spec files for errors and smells without running them",
    ),
    "schema": ("llm_pytest.cli.schema_cmd", "print the JSON Schema of spec files"),
    "plan": ("llm_pytest.cli.plan_cmd", "print the compiled plan of a spec file as JSON"),
    "tools": ("llm_pytest.cli.tools_cmd", "list the tools specs can call, with their arguments"),
    "mcp": ("llm_pytest.cli.mcp_cmd", "serve llm-pytest tools over MCP (`mcp serve`)"),
    "init": ("llm_pytest.cli.init_cmd", "scaffold a working example project"),
    "report": (
        "llm_pytest.cli.report_cmd",
        "write the reports of a run folder again (--html), or merge the run folders of shards",
    ),
    "rejudge": (
        "llm_pytest.cli.rejudge_cmd",
        "judge a run folder's recorded runs again with another judge and compare the verdicts",
    ),
    "judge-eval": (
        "llm_pytest.cli.judge_eval_cmd",
        "measure a judge on labelled cases: agreement, false passes, false fails",
    ),
    "docs": ("llm_pytest.cli.docs_cmd", "write the generated reference pages (`docs reference`)"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="llm-pytest",
        description="A declarative YAML test language and its interpreter, for pytest.",
    )
    from llm_pytest._version import __version__

    parser.add_argument("--version", action="version", version=f"llm-pytest {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in _COMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(cmd)
        cmd.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    try:
        code: int = run(args)
    except LlmPytestError as exc:
        print(describe(exc), file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("llm-pytest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return code


def describe(exc: LlmPytestError) -> str:
    """An error as a command prints it: a spec's starts with its location, any other says that
    llm-pytest reports it."""
    text = exc.render()
    return text if isinstance(exc, SpecError) else f"llm-pytest: error: {text}"


if __name__ == "__main__":
    raise SystemExit(main())
