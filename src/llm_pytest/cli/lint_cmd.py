"""`llm-pytest lint [PATHS...]`: check spec files for errors and smells without running them.

Without paths it lints what `pytest --llm` would collect: the `testpaths` and
`llm_spec_patterns` of the pytest configuration, with the plugins of `llm_plugin_dirs`.
Exit status: 0 no problems (warnings only, without --strict), 1 problems found, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from llm_pytest.errors import UsageError
from llm_pytest.lint.codes import CODES, check_patterns
from llm_pytest.lint.discovery import default_paths, discover
from llm_pytest.lint.engine import LintSettings, lint_files
from llm_pytest.lint.formats import FORMATS, render
from llm_pytest.lint.registries import Registries
from llm_pytest.lint.suppress import CodeFilter
from llm_pytest.runtime.project import find_config

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _epilog()
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="spec files or folders (default: testpaths and llm_spec_patterns of the pytest "
        "configuration)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="report only these codes or prefixes, comma-separated (e.g. E,W103)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="do not report these codes or prefixes (wins over --select)",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    parser.add_argument(
        "--mcp",
        action="store_true",
        help="start the MCP servers specs declare and check their tool names and arguments",
    )
    parser.add_argument(
        "--plugins",
        action="append",
        type=Path,
        metavar="DIR",
        help="plugin folder (repeatable; default: llm_plugin_dirs of the pytest configuration); "
        "each spec's own plugins/ folder is searched too, as with pytest --llm",
    )
    parser.add_argument(
        "--excerpt",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="text format: show the source line, a caret and the hint under each finding "
        "(default: on when writing to a terminal)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the report to FILE"
    )


def run(args: argparse.Namespace) -> int:
    select = check_patterns(_split(args.select), "--select")
    ignore = check_patterns(_split(args.ignore), "--ignore")
    cwd = Path.cwd()
    paths: list[Path] = list(args.paths)
    config = find_config(_common_folder(paths, cwd))
    targets = paths or default_paths(config, cwd)
    files = discover(targets, config, cwd)
    if not files:
        where = ", ".join(_shown(p, cwd) for p in targets)
        raise UsageError(
            f"no spec files found in {where} (patterns: {' '.join(config.spec_patterns)}); "
            "name spec files test_*.yaml or set llm_spec_patterns in the pytest configuration"
        )
    settings = LintSettings(
        registry=Registries(args.plugins or config.plugin_dirs),
        mcp=args.mcp,
        filter=CodeFilter(select, ignore),
    )
    report = lint_files(files, settings)
    excerpt = args.excerpt
    if excerpt is None:
        excerpt = args.output is None and sys.stdout.isatty()
    text = render(report, args.format, cwd=cwd, excerpt=excerpt)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return report.exit_code(strict=args.strict)


def _epilog() -> str:
    codes = "\n".join(f"  {c.code}  {c.description}" for c in CODES.values())
    return (
        "Silence a finding with `# llm-pytest: ignore[CODE,...]` on its line, or alone on the\n"
        "line before. Exit status: 0 no problems (or warnings only), 1 problems found (warnings\n"
        f"too with --strict), 2 usage error.\n\ncodes:\n{codes}"
    )


def _shown(path: Path, cwd: Path) -> str:
    relative = os.path.relpath(path, cwd)
    return str(path) if relative.startswith("..") else relative


def _split(values: Sequence[str]) -> list[str]:
    return [part for value in values for part in value.split(",")]


def _common_folder(paths: Sequence[Path], cwd: Path) -> Path:
    """Where to look for the pytest configuration: the folder that holds every path."""
    existing = [os.path.abspath(p) for p in paths if p.exists()]
    if not existing:
        return cwd
    common = Path(os.path.commonpath(existing))
    return common if common.is_dir() else common.parent
