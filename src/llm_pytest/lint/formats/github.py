"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""

from __future__ import annotations

from llm_pytest.lint.engine import LintReport
from llm_pytest.lint.findings import Finding

__all__ = ["render"]


def render(report: LintReport) -> str:
    return "".join(_annotation(f) + "\n" for f in report.findings)


def _annotation(finding: Finding) -> str:
    loc = finding.location
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    props = ",".join(
        f"{key}={_property(str(value))}"
        for key, value in (
            ("file", loc.path),
            ("line", loc.line),
            ("col", loc.col),
            ("title", finding.code),
        )
    )
    return f"::{finding.severity} {props}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
