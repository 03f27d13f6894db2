"""Report formats by name: each is a :class:`Reporter` in its own module, imported when used.

A new format is a module with a ``REPORTER`` and one line in ``_FORMATS``; the session and
``llm-pytest report`` find it here.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from llm_pytest.reports.records import ItemRecord

__all__ = ["ReportContext", "Reporter", "format_names", "reporter"]


@dataclass(frozen=True)
class ReportContext:
    """What a report may show besides the records."""

    command: str = ""
    """The command line that made the report."""
    width: int = 120
    """Columns that text tables should fit."""


class Reporter(Protocol):
    """One report format."""

    @property
    def help(self) -> str:
        """What ``target`` is, for ``llm-pytest report --help``."""
        ...

    def write(self, records: Sequence[ItemRecord], target: Path, context: ReportContext) -> Path:
        """Write the report of ``records`` to ``target``; the path to tell the user about."""
        ...


_FORMATS = {
    "jsonl": "llm_pytest.reports.jsonl",
    "html": "llm_pytest.reports.html",
    "terminal": "llm_pytest.reports.terminal",
}
"""name → the module whose ``REPORTER`` writes that format."""


def format_names() -> list[str]:
    return list(_FORMATS)


def reporter(name: str) -> Reporter:
    """The reporter of format ``name`` (one of :func:`format_names`)."""
    found: Reporter = importlib.import_module(_FORMATS[name]).REPORTER
    return found
