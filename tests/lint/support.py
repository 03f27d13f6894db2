"""Shared parts of the lint tests: a clean spec, the built-in tools, a lint call."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

from llm_pytest.lint import CodeFilter, LintReport, LintSettings, lint_files
from llm_pytest.runtime.tools import build_registry
from llm_pytest.tools.registry import ToolRegistry

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTES_SERVER = REPO_ROOT / "spec-examples" / "servers" / "notes_server.py"

CLEAN = """\
test:
  name: clean
  timeout: 10
steps:
  - name: store a value
    tool: store_value
    args: {name: greeting, value: hello}
    save_as: greeting
    check: result.stored == "greeting"
  - name: read it back
    tool: get_value
    args: {name: "${greeting.stored}"}
    timeout: 5
    retry: 2
    retry_delay: 0.5
    until: result.found
    expect: "The value is the string hello and `found` is true"
"""


@functools.cache
def registry() -> ToolRegistry:
    """The built-in tools (and installed plugin entry points)."""
    return build_registry([])


def write(folder: Path, text: str, name: str = "test_spec.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lint(
    folder: Path,
    text: str,
    name: str = "test_spec.yaml",
    *,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    mcp: bool = False,
) -> LintReport:
    """Write ``text`` to ``folder/name`` and lint it with the built-in tools."""
    path = write(folder, text, name)
    settings = LintSettings(registry=registry(), mcp=mcp, filter=CodeFilter(select, ignore))
    return lint_files([path], settings)


def codes(report: LintReport) -> list[str]:
    return [f.code for f in report.findings]
