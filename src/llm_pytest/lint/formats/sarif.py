"""SARIF 2.1.0, for code-scanning services: one run, a rule per code, a result per finding."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from llm_pytest.lint.codes import CODES
from llm_pytest.lint.engine import LintReport
from llm_pytest.lint.findings import Finding

__all__ = ["SARIF_SCHEMA", "render"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_RULE_INDEX = {code: i for i, code in enumerate(CODES)}


def render(report: LintReport, cwd: Path) -> str:
    from llm_pytest._version import __version__

    rules = [
        {
            "id": code.code,
            "name": code.name,
            "shortDescription": {"text": code.description},
            "fullDescription": {"text": code.description},
            "defaultConfiguration": {"level": code.severity},
        }
        for code in CODES.values()
    ]
    log: dict[str, Any] = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "llm-pytest",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, cwd) for f in report.findings],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _result(finding: Finding, cwd: Path) -> dict[str, Any]:
    loc = finding.location
    text = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return {
        "ruleId": finding.code,
        "ruleIndex": _RULE_INDEX[finding.code],
        "level": finding.severity,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(loc.path, cwd)},
                    "region": {"startLine": max(loc.line, 1), "startColumn": max(loc.col, 1)},
                }
            }
        ],
    }


def _uri(path: str, cwd: Path) -> str:
    """Relative to ``cwd`` (a relative URI reference) when under it, else a ``file://`` URI."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(Path(os.path.abspath(cwd)))
    except ValueError:
        return absolute.as_uri()
    return "/".join(quote(part) for part in relative.parts)
