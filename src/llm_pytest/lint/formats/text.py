"""``path:line:col: CODE message``, optionally the source line with a caret and the hint."""

from __future__ import annotations

from llm_pytest.errors import located, render_problem
from llm_pytest.lint.engine import LintReport
from llm_pytest.lint.findings import Finding

__all__ = ["render", "summary"]


def render(report: LintReport, *, excerpt: bool) -> str:
    """One line per finding (or a block, with ``excerpt``), then the count line."""
    blocks = [_block(f, excerpt) for f in report.findings]
    sep = "\n\n" if excerpt else "\n"
    body = sep.join(blocks)
    return (f"{body}\n\n" if body else "") + summary(report) + "\n"


def summary(report: LintReport) -> str:
    """``Found 2 errors and 1 warning in 3 files.`` or ``No problems found in 3 files.``"""
    files = _plural(len(report.files), "file")
    if not report.findings:
        return f"No problems found in {files}."
    parts = [
        _plural(n, word)
        for n, word in ((report.errors, "error"), (report.warnings, "warning"))
        if n
    ]
    affected = len({f.location.path for f in report.findings})
    return f"Found {' and '.join(parts)} in {affected} of {files}."


def _block(finding: Finding, excerpt: bool) -> str:
    message = f"{finding.code} {finding.message}"
    if not excerpt:
        return located(message, finding.location)
    return render_problem(message, finding.location, finding.hint)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
