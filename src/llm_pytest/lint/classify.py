"""Compiler errors as findings: each kind of error (``SpecError.kind``) has its code."""

from __future__ import annotations

from llm_pytest.errors import SourceLocation, SpecError
from llm_pytest.lint.findings import Finding

__all__ = ["finding_from_error"]

_CODES = {
    "load": "E101",
    "unknown_key": "E201",
    "missing_key": "E202",
    "type": "E203",
    "experiment": "E203",
    "duplicate_test": "E204",
    "expression": "E301",
    "syntax": "E301",
    "eval": "E301",
    "name": "E302",
    "override": "E501",
    "fragment": "E502",
    "import": "E503",
    "schema": "E205",
    "schema_file": "E206",
}
_OTHER = "E203"  # a broken rule of the language that has no code of its own


def finding_from_error(error: SpecError, path: str) -> Finding:
    """The finding for one compiler error; ``path`` stands in when the error has no location."""
    location = error.location or SourceLocation(path, 1, 1)
    return Finding(_CODES.get(error.kind, _OTHER), location, error.message, error.hint)
