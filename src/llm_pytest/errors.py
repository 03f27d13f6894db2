"""The one error hierarchy of llm-pytest.

::

    LlmPytestError                      base of everything we raise on purpose
    ├── SpecError (ValueError)          a problem in a spec, with a SourceLocation
    │   ├── SpecErrors                  several problems of one file, reported together
    │   ├── LoadError                   the YAML text itself (syntax, tags, size, aliases)
    │   ├── ValidationError             a value of the wrong type, an unknown key, ...
    │   ├── OverrideError               an override that does not apply or breaks the spec
    │   │   └── NoMatch                 ... whose path matches nothing (dsl.overrides)
    │   └── ExpressionError             a `${...}` or `check` expression
    │       ├── ExpressionSyntaxError   it does not parse
    │       └── ExpressionEvalError     it fails while running
    │           └── UndefinedNameError  a name or field that is not there
    ├── ToolError                       unknown tools, bad arguments, failed calls
    │   ├── ToolNameClash               two tools under one name (tools.registry)
    │   └── McpServerError              an MCP server that does not start or answer (tools.mcp)
    ├── ProviderError                   a judge LLM that cannot be used
    │   ├── ProviderConfigError         ... because of its configuration (auth, model)
    │   └── BadRequest                  ... because its API refused the request (judging.http)
    └── UsageError (ValueError)         a bad command-line option or API argument

Every error has a ``hint`` that says what to do (or None) and renders one way,
:meth:`LlmPytestError.render`: ``path:line:col: message`` (a `SpecError` knows where), the
source line with a caret under the column, and a ``hint:`` line. A `SpecError`'s ``kind`` says
what sort of problem it is, for programs (the message is for people and may be reworded):

=================== ===========================================================================
kind                the problem
=================== ===========================================================================
``load``            the YAML text cannot be loaded (:class:`LoadError`)
``unknown_key``     a key that is not a field of the spec language
``missing_key``     a required key is missing
``type``            a value of the wrong type or out of range, or a rule between fields broken
``duplicate_test``  two tests of one file have the same name
``experiment``      two experiments of one test have the same name
``fragment``        a fragment use or definition that does not fit
``import``          an imported file that is missing, empty or part of a cycle
``schema``          a step's ``schema`` that is not a valid JSON Schema
``schema_file``     a step's schema file, or a file its ``$ref`` names, that cannot be read
``override``        an override that does not apply or breaks the spec (:class:`OverrideError`)
``expression``      an expression or ``${...}`` template (:class:`ExpressionError`)
``syntax``          an expression that does not parse (:class:`ExpressionSyntaxError`)
``eval``            an expression that fails while it runs (:class:`ExpressionEvalError`)
``name``            a name that is not bound (:class:`UndefinedNameError`)
``spec``            any other problem (the default of :class:`SpecError`)
=================== ===========================================================================
"""

from __future__ import annotations

import linecache
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ExpressionError",
    "ExpressionEvalError",
    "ExpressionSyntaxError",
    "LlmPytestError",
    "LoadError",
    "OverrideError",
    "ProviderConfigError",
    "ProviderError",
    "SourceLocation",
    "SpecError",
    "SpecErrors",
    "ToolError",
    "UndefinedNameError",
    "UsageError",
    "ValidationError",
    "bounded",
    "closest",
    "located",
    "quoted",
    "register_source",
    "render_problem",
    "source_line",
]

_SOURCES: dict[str, list[str]] = {}


def register_source(path: str, text: str) -> None:
    """Remember a spec's text so errors can quote its lines (also for files not on disk)."""
    _SOURCES[path] = text.splitlines()


def source_line(path: str, line: int) -> str | None:
    """The text of 1-based ``line`` of ``path``, or None when it is not known."""
    lines = _SOURCES.get(path)
    if lines is not None:
        return lines[line - 1] if 0 < line <= len(lines) else None
    text = linecache.getline(path, line)
    return text.rstrip("\n") if text else None


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where something is in a spec: 1-based line and column."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def shifted(self, offset: int) -> SourceLocation:
        """The location ``offset`` characters further on the same line."""
        return SourceLocation(self.path, self.line, self.col + offset)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``name`` (for "did you mean ...?"), or None."""
    import difflib  # only needed when something is wrong

    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


MAX_QUOTED = 200
"""Characters of a name or value that a message quotes; the rest is counted, not shown."""


def quoted(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` as a message quotes it: control characters escaped (``\\x00``), cut after
    ``limit`` characters with a note of how many more there are."""
    shown = text[:limit]
    if not shown.isprintable():
        shown = "".join(
            c if c.isprintable() else c.encode("unicode_escape").decode() for c in shown
        )
    return _cut(text, limit, shown)


def _cut(text: str, limit: int, shown: str | None = None) -> str:
    if len(text) <= limit:
        return text if shown is None else shown
    return f"{text[:limit] if shown is None else shown}… ({len(text) - limit:,} more characters)"


MAX_MESSAGE = 2000
"""Characters of one message (or hint) beyond which it is cut."""

_QUOTE = re.compile(r"`([^`\n]+)`")
_ALREADY_CUT = re.compile(r"… \([\d,]+ more characters\)$")


def bounded(message: str) -> str:
    """``message`` with every `` `quoted` `` name or value :func:`quoted`, and the whole cut
    after ``MAX_MESSAGE`` characters. Bounding a bounded message changes nothing."""
    if "`" in message:
        message = _QUOTE.sub(_quote_span, message)
    return message if _ALREADY_CUT.search(message) else _cut(message, MAX_MESSAGE)


def _quote_span(match: re.Match[str]) -> str:
    span = match[1]
    cut = _ALREADY_CUT.search(span)
    # a message that quotes another's is bounded again: its spans are already cut
    return match[0] if cut and cut.start() <= MAX_QUOTED else f"`{quoted(span)}`"


_EXCERPT_WIDTH = 100


def _excerpt(loc: SourceLocation) -> list[str]:
    """The source line at ``loc`` and a caret under its column (long lines are cut around it)."""
    text = source_line(loc.path, loc.line)
    if text is None:
        return []
    text, caret = _window(text, max(loc.col - 1, 0))
    gutter = f"{loc.line:>5} | "
    return [gutter + text, " " * (len(gutter) - 2) + "| " + " " * caret + "^"]


def _window(text: str, caret: int) -> tuple[str, int]:
    """A long source line cut to the part around ``caret`` (and the caret's new column)."""
    if len(text) <= _EXCERPT_WIDTH:
        return text, caret
    start = max(0, min(caret - _EXCERPT_WIDTH // 2, len(text) - _EXCERPT_WIDTH))
    end = start + _EXCERPT_WIDTH
    head = "…" if start else ""
    tail = "…" if end < len(text) else ""
    return head + text[start:end] + tail, caret - start + len(head)


def located(message: str, location: SourceLocation | None) -> str:
    """``path:line:col: message``, or the message alone when there is no location."""
    return f"{location}: {message}" if location is not None else message


def render_problem(
    message: str, location: SourceLocation | None = None, hint: str | None = None
) -> str:
    """A problem as people read it: ``path:line:col: message``, the source line with a caret
    under the column, then ``  hint: ...``; what is not known is left out."""
    out = [located(message, location)]
    if location is not None:
        out += _excerpt(location)
    if hint:
        out.append(f"  hint: {hint}")
    return "\n".join(out)


class LlmPytestError(Exception):
    """Base class of every error llm-pytest raises on purpose; ``hint`` says what to do next.

    Both are :func:`bounded`: a spec's names and values can be any size, a message cannot.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        message = bounded(message)
        super().__init__(message)
        self.message = message
        self.hint = None if hint is None else bounded(hint)

    def render(self) -> str:
        """The message, then the hint."""
        return render_problem(self.message, hint=self.hint)


class SpecError(LlmPytestError, ValueError):
    """A problem in a spec, located and explained; ``kind`` is one of the kinds listed above
    (the class's ``default_kind`` unless given)."""

    default_kind: ClassVar[str] = "spec"

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
        *,
        kind: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.location = location
        self.kind = kind or self.default_kind

    def __str__(self) -> str:
        return located(self.message, self.location)

    def render(self) -> str:
        """``path:line:col: message``, the source line and a caret, then the hint."""
        return render_problem(self.message, self.location, self.hint)


class SpecErrors(SpecError):
    """Several spec problems found in one pass; each is reported."""

    def __init__(self, errors: Sequence[SpecError]) -> None:
        errs = sorted(errors, key=_sort_key)
        first = errs[0] if errs else None
        super().__init__(
            first.message if first else "no errors",
            first.location if first else None,
            first.hint if first else None,
            kind=first.kind if first else None,
        )
        self.errors: list[SpecError] = errs

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def render(self) -> str:
        n = len(self.errors)
        body = "\n\n".join(e.render() for e in self.errors)
        return body if n == 1 else f"{body}\n\n{n} problems found"


def _sort_key(err: SpecError) -> tuple[str, int, int]:
    loc = err.location
    return (loc.path, loc.line, loc.col) if loc else ("", 0, 0)


class LoadError(SpecError):
    """The YAML text cannot be loaded (syntax, forbidden tags, size, alias bombs)."""

    default_kind = "load"


class ValidationError(SpecError):
    """A value of the wrong type, an unknown or missing key, a rule between fields."""

    default_kind = "type"


class OverrideError(SpecError):
    """An override whose path does not exist or whose value makes the spec invalid."""

    default_kind = "override"


class ExpressionError(SpecError):
    """A problem with an expression or `${...}` template."""

    default_kind = "expression"


class ExpressionSyntaxError(ExpressionError):
    """The expression does not parse."""

    default_kind = "syntax"


class ExpressionEvalError(ExpressionError):
    """The expression fails while it is evaluated (wrong types, bad regex, ...)."""

    default_kind = "eval"


class UndefinedNameError(ExpressionEvalError):
    """A name that is not bound, or a field/index that the value does not have."""

    default_kind = "name"


class ToolError(LlmPytestError):
    """An unknown tool, arguments that do not match its schema, or a failed call."""


class ProviderError(LlmPytestError):
    """A judge provider that failed to answer usably."""


class ProviderConfigError(ProviderError):
    """A judge provider that cannot work as configured (no key, bad auth, unknown model)."""


class UsageError(LlmPytestError, ValueError):
    """A bad command-line option, ini value or API argument."""
