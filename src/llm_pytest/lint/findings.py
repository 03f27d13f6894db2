"""A lint finding: a code, where, what is wrong and what to do."""

from __future__ import annotations

from dataclasses import dataclass

from llm_pytest.errors import SourceLocation
from llm_pytest.lint.codes import CODES, Severity

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a spec file."""

    code: str
    location: SourceLocation
    message: str
    hint: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.code)
