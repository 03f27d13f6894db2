"""A lint finding: a code, where, what is wrong and what to do."""

from __future__ import annotations

from dataclasses import dataclass

from llm_pytest.errors import SourceLocation, bounded
from llm_pytest.lint.codes import CODES, Severity

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a spec file."""

    code: str
    location: SourceLocation
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        # as in our errors: names a message quotes can be any size, the message cannot
        object.__setattr__(self, "message", bounded(self.message))
        if self.hint is not None:
            object.__setattr__(self, "hint", bounded(self.hint))

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.code)
