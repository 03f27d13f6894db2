"""Output formats of ``llm-pytest lint``: ``text``, ``json``, ``github`` and ``sarif``."""

from __future__ import annotations

from pathlib import Path

from llm_pytest.lint.engine import LintReport
from llm_pytest.lint.formats import github, json_format, sarif, text

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "json", "github", "sarif")


def render(report: LintReport, format: str, *, cwd: Path, excerpt: bool = False) -> str:
    """``report`` in ``format``; paths are shown relative to ``cwd`` where they can be."""
    if format == "text":
        return text.render(report, excerpt=excerpt)
    if format == "json":
        return json_format.render(report)
    if format == "github":
        return github.render(report)
    if format == "sarif":
        return sarif.render(report, cwd)
    raise ValueError(f"unknown format {format!r}")
