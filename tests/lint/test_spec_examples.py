"""The spec examples: valid ones lint without errors, invalid ones with, all carry the modeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llm_pytest.lint import LintSettings, lint_files
from llm_pytest.lint.discovery import discover
from llm_pytest.runtime.project import find_config
from llm_pytest.runtime.tools import build_registry

from .support import REPO_ROOT

EXAMPLES = REPO_ROOT / "spec-examples"
MODELINE = "# yaml-language-server: $schema="
EXPECT_ERROR = re.compile(r"^# expect-error: (\d+):(\d+): (.*)$", re.MULTILINE)


def _specs(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return discover([folder], find_config(folder), REPO_ROOT)


def _settings(folder: Path) -> LintSettings:
    plugin_dirs = [folder / "plugins", REPO_ROOT / "tests" / "llm" / "plugins"]
    return LintSettings(registry=build_registry(plugin_dirs), mcp=True)


def test_valid_examples_lint_without_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    valid = EXAMPLES / "valid"
    files = _specs(valid)
    report = lint_files(files, _settings(valid))
    assert report.files == files
    errors = [
        f"{f.location}: {f.code} {f.message}" for f in report.findings if f.severity == "error"
    ]
    assert errors == []


def test_invalid_examples_get_the_errors_their_headers_expect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each `# expect-error: LINE:COL: MESSAGE` header is a finding there (message may be cut)."""
    monkeypatch.chdir(REPO_ROOT)
    invalid = EXAMPLES / "invalid"
    files = sorted(invalid.glob("*.y*ml")) if invalid.is_dir() else []
    registry = build_registry([EXAMPLES / "valid" / "plugins"])
    unmet: list[str] = []
    for path in files:
        report = lint_files([path], LintSettings(registry=registry))
        found = [
            (f.location.line, f.location.col, f.message)
            for f in report.findings
            if f.severity == "error"
        ]
        expected = EXPECT_ERROR.findall(path.read_text(encoding="utf-8")) or [("", "", "")]
        for line, col, message in expected:
            if not any(
                (not line or (found_line, found_col) == (int(line), int(col)))
                and text.startswith(message.rstrip())
                for found_line, found_col, text in found
            ):
                unmet.append(f"{path.name}: expected {line}:{col}: {message!r}, got {found}")
    assert unmet == []


def test_every_example_starts_with_the_schema_modeline() -> None:
    examples = sorted([*EXAMPLES.rglob("*.yaml"), *EXAMPLES.rglob("*.yml")])
    missing: list[str] = []
    for path in examples:
        first = path.read_text(encoding="utf-8").partition("\n")[0]
        target = first.removeprefix(MODELINE)
        if not first.startswith(MODELINE) or not (
            target.startswith("https://") or (path.parent / target).resolve().is_file()
        ):
            missing.append(f"{path.relative_to(REPO_ROOT)}: {first!r}")
    assert missing == []
