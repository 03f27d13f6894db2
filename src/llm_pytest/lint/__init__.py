"""``llm-pytest lint``: every mistake in spec files, found without running them.

::

    report = lint_files(["tests/llm/test_users.yaml"], LintSettings(registry=build_registry()))
    for finding in report.findings:
        print(finding.location, finding.code, finding.message)

The codes and what they mean are listed in :mod:`llm_pytest.lint.codes`.
"""

from __future__ import annotations

from llm_pytest.lint.codes import CODES, Code
from llm_pytest.lint.engine import LintReport, LintSettings, lint_files, lint_text
from llm_pytest.lint.findings import Finding
from llm_pytest.lint.registries import Registries
from llm_pytest.lint.suppress import CodeFilter

__all__ = [
    "CODES",
    "Code",
    "CodeFilter",
    "Finding",
    "LintReport",
    "LintSettings",
    "Registries",
    "lint_files",
    "lint_text",
]
