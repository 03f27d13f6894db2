"""`llm-pytest init [--dir tests/llm]`: scaffold a working example in the current project.

Writes a spec (with the editor modeline), a plugin, a Python test using ``llm_runner``, a copy of
the JSON Schema and VS Code settings mapping it, then says how to run them. Nothing is written
when any of these files exists already.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path

from llm_pytest.dsl.schema import SCHEMA_ID, schema_text

__all__ = ["add_arguments", "run"]

SCHEMA_COPY = Path("schemas", "llm-pytest.schema.json")
VSCODE_SETTINGS = Path(".vscode", "settings.json")
_TEMPLATES = {
    "test_example.yaml": "test_example.yaml.tmpl",
    "plugins/example_api.py": "example_api.py.tmpl",
    "test_example_runner.py": "test_example_runner.py.tmpl",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("tests", "llm"),
        help="where the example specs, plugin and test go (default: tests/llm)",
    )
    parser.add_argument(
        "--schema-url",
        action="store_true",
        help=f"point editors at {SCHEMA_ID} instead of writing a local copy of the schema "
        "(the copy works offline and matches the installed version)",
    )
    parser.add_argument(
        "--no-vscode", action="store_true", help=f"do not write {VSCODE_SETTINGS.as_posix()}"
    )


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    files = _planned(root, args.dir, schema_url=args.schema_url, vscode=not args.no_vscode)
    existing = [path for path in files if path.exists()]
    if existing:
        shown = "\n".join(f"  {_rel(p, root)}" for p in existing)
        print(
            f"llm-pytest init: not overwriting existing files:\n{shown}\n"
            "Move them away, or scaffold elsewhere with --dir.",
            file=sys.stderr,
        )
        return 1
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"created {_rel(path, root)}")
    print(
        f"\nRun the example:  pytest {args.dir.as_posix()} --llm -v\n"
        "The judged test is skipped until you choose a judge, e.g. --llm-provider openai."
    )
    return 0


def _planned(root: Path, directory: Path, *, schema_url: bool, vscode: bool) -> dict[Path, str]:
    """Every file to write, with its text."""
    spec_dir = root / directory
    if schema_url:
        schema_ref = SCHEMA_ID
    else:
        schema_ref = Path(os.path.relpath(root / SCHEMA_COPY, spec_dir)).as_posix()
    templates = resources.files("llm_pytest.cli").joinpath("templates", "init")
    files: dict[Path, str] = {}
    for target, name in _TEMPLATES.items():
        text = templates.joinpath(name).read_text(encoding="utf-8")
        files[spec_dir / target] = text.replace("@SCHEMA@", schema_ref)
    if not schema_url:
        files[root / SCHEMA_COPY] = schema_text()
    if vscode:
        files[root / VSCODE_SETTINGS] = _vscode_settings(
            SCHEMA_ID if schema_url else f"./{SCHEMA_COPY.as_posix()}", _rel(spec_dir, root)
        )
    return files


def _vscode_settings(schema: str, directory: str) -> str:
    # spec files only: fragment files under the same folder have a schema of their own
    globs = [f"{directory}/**/test_*.yaml", f"{directory}/**/test_*.yml"]
    settings = {"yaml.schemas": {schema: globs}}
    return json.dumps(settings, indent=2) + "\n"


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
