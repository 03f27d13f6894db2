"""Compiler errors as findings: each error class (and kind of validation error) has its code."""

from __future__ import annotations

from llm_pytest.errors import (
    ExpressionError,
    LoadError,
    OverrideError,
    SourceLocation,
    SpecError,
    UndefinedNameError,
    ValidationError,
)
from llm_pytest.lint.findings import Finding

__all__ = ["finding_from_error"]

# Validation errors share one class; the compiler's wording tells their kinds apart. Every
# prefix here is pinned by a test that makes the compiler produce it.
_VALIDATION_PREFIXES = (
    ("unknown key `", "E201"),
    ("missing required key", "E202"),
    ("unknown fragment", "E502"),
    ("fragment `", "E502"),
    ("imported file", "E503"),
    ("import cycle", "E503"),
)


def finding_from_error(error: SpecError, path: str) -> Finding:
    """The finding for one compiler error; ``path`` stands in when the error has no location."""
    location = error.location or SourceLocation(path, 1, 1)
    return Finding(_code(error), location, error.message, error.hint)


def _code(error: SpecError) -> str:
    if isinstance(error, LoadError):
        return "E101"
    if isinstance(error, OverrideError):
        return "E501"
    if isinstance(error, UndefinedNameError):
        return "E302"
    if isinstance(error, ExpressionError):  # the compiler only parses: syntax errors
        return "E301"
    if isinstance(error, ValidationError):
        if "is already used in this file" in error.message:
            return "E204"
        for prefix, code in _VALIDATION_PREFIXES:
            if error.message.startswith(prefix):
                return code
    return "E203"
