"""Findings as one JSON document, for scripts and editor integrations.

::

    {"version": 1,
     "findings": [{"code", "name", "severity", "path", "line", "col", "message", "hint"}],
     "summary": {"files", "errors", "warnings"}}
"""

from __future__ import annotations

import json
from typing import Any

from llm_pytest.lint.codes import CODES
from llm_pytest.lint.engine import LintReport

__all__ = ["render"]


def render(report: LintReport) -> str:
    data: dict[str, Any] = {
        "version": 1,
        "findings": [
            {
                "code": f.code,
                "name": CODES[f.code].name,
                "severity": f.severity,
                "path": f.location.path,
                "line": f.location.line,
                "col": f.location.col,
                "message": f.message,
                "hint": f.hint,
            }
            for f in report.findings
        ],
        "summary": {
            "files": len(report.files),
            "errors": report.errors,
            "warnings": report.warnings,
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
