"""Expressions and ``${...}`` templates (docs/language.md §4–5): parse once, evaluate safely.

``parse_expression`` reads the bare expressions of ``check``, ``until``, ``when`` and ``repeat``;
``parse_template`` reads strings that may hold ``${ expression }`` parts. Both use the lark
grammar in ``grammar.lark``. Plain text, simple paths (``${new_user.id}``) and simple
comparisons (``result.status == 200``) are recognised by regular expressions and built into the
same trees without lark, and trees are cached by text, so compiling a spec stays cheap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from llm_pytest.errors import (
    ExpressionEvalError,
    ExpressionSyntaxError,
    SourceLocation,
    UndefinedNameError,
)
from llm_pytest.expr.build import CONSTANTS, KEYWORDS, AstBuilder
from llm_pytest.expr.evaluate import EvalFailure, render_text, short
from llm_pytest.expr.loops import Bounded, Comprehension, has_loops, outer_quantifiers
from llm_pytest.expr.nodes import (
    Binary,
    Literal,
    Node,
    Path,
    SyntaxFailure,
    TemplatePart,
    iter_paths,
    scoped_paths,
    tree_depth,
)

__all__ = [
    "Expression",
    "LoopVariable",
    "Reference",
    "Template",
    "has_interpolation",
    "parse_expression",
    "parse_template",
]

MAX_DEPTH = 100
"""Deepest nesting accepted; far beyond real checks, well within Python's recursion limit."""

_CACHE_SIZE = 4096
_QUOTE_LIMIT = 120

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = rf"{_NAME}(?:\.{_NAME}|\[\s*(?:-?[0-9]{{1,18}}|\"[^\"\\\n]*\"|'[^'\\\n]*')\s*\])*"
_SIMPLE_EXPRESSION = re.compile(rf"\s*({_PATH})\s*\Z")
_OPERAND = rf"{_PATH}|-?[0-9]{{1,18}}(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\"[^\"\\\n]*\"|'[^'\\\n]*'"
_SIMPLE_COMPARISON = re.compile(
    rf"\s*({_PATH})(\s*(?:==|!=|<=|>=|<|>)\s*|\s+(?:in|not\s+in|matches)\s+)({_OPERAND})\s*\Z"
)
_TEMPLATE_TOKEN = re.compile(rf"\$\$\{{|\$\{{\s*({_PATH})\s*\}}|\$\{{")
_STEP = re.compile(rf"\.({_NAME})|\[\s*(?:(-?[0-9]+)|\"([^\"\\\n]*)\"|'([^'\\\n]*)')\s*\]")
_INTERPOLATION = re.compile(r"(?<!\$)\$\{")
_AFTER_FOR = re.compile(r"(?<![A-Za-z0-9_.])for\s*\Z")


@dataclass(frozen=True, slots=True)
class Reference:
    """A name path an expression reads, such as ``result.count`` or ``a["k"][0]``."""

    root: str
    path: tuple[str | int, ...]
    text: str  # as written in the source
    offset: int  # in Expression.source (in Template.source for Template.references())
    loop_names: frozenset[str] = frozenset()  # the loop variables bound where it is read


@dataclass(frozen=True, slots=True)
class LoopVariable:
    """A name bound by ``for NAME in ...`` in a comprehension or quantifier."""

    name: str
    offset: int  # in Expression.source


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression; build it with :func:`parse_expression`."""

    source: str
    location: SourceLocation | None
    # The tree's offsets index `_frame` (the bare expression, or the whole template it is part
    # of); `source` starts at `_origin` in it, and at `location` in the spec.
    _node: Node = field(repr=False, compare=False)
    _frame: str = field(repr=False, compare=False)
    _origin: int = field(repr=False, compare=False)

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        """The value of the expression with names read from ``scope``.

        Raises UndefinedNameError for a missing name, field or item, ExpressionEvalError for
        any other problem (wrong types, division by zero, a bad regular expression).
        """
        return self._run(scope, as_text=False)

    def _run(self, scope: Mapping[str, Any], *, as_text: bool) -> Any:
        try:
            value = self._node.eval(scope)
            return render_text(value) if as_text else value
        except EvalFailure as failure:
            raise self._error(failure) from None
        except RecursionError:
            raise ExpressionEvalError(
                f"a value is nested too deeply to evaluate `{self._quote()}`",
                self.location,
            ) from None
        except Exception as exc:  # values that are not JSON-like data, e.g. from a plugin
            raise ExpressionEvalError(
                f"cannot evaluate `{self._quote()}`: {type(exc).__name__}: {exc}",
                self.location,
                "expressions work on JSON-like data: maps, lists, strings, numbers, booleans, null",
            ) from None

    def references(self) -> tuple[Reference, ...]:
        """Every name path read, in source order (offsets relative to ``source``)."""
        return self._references(self._origin)

    def locate(self, offset: int) -> SourceLocation | None:
        """Where ``source[offset]`` is in the spec (e.g. a :class:`Reference`'s offset)."""
        return _shift(self.location, self.source, offset)

    def quote(self) -> str:
        """The expression as written, for messages: ``${...}`` included, long text shortened."""
        return self._quote()

    def describe_values(self, scope: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``[(path text, value)]`` for a failure report; ``"<undefined>"`` when missing.

        A false ``all(... for u in xs)`` adds ``("u = xs[i]", value)`` for its first failing item.
        """
        described: dict[str, str] = {}
        for path, _ in _free_paths(self._node):
            text = self._frame[path.start : path.ends[-1]]
            if text in described:
                continue
            try:
                described[text] = short(path.eval(scope), 200)
            except EvalFailure:
                described[text] = "<undefined>"
            except Exception as exc:  # a report must never fail on odd values
                described[text] = f"<{type(exc).__name__}>"
        for quantifier in outer_quantifiers(self._node):
            try:
                found = quantifier.first_failure(scope)
            except Exception:  # the check's own error is reported already
                continue
            if found is not None:
                described[found[0]] = short(found[1], 200)
        return list(described.items())

    def loop_variables(self) -> tuple[LoopVariable, ...]:
        """Every loop variable the expression binds, in source order."""
        if not isinstance(self._node, Bounded):  # only a tree that loops has a Bounded root
            return ()
        found: list[LoopVariable] = []
        stack: list[Node] = [self._node]
        while stack:
            node = stack.pop()
            if isinstance(node, Comprehension):
                found += (LoopVariable(x.name, x.offset - self._origin) for x in node.loops)
            stack.extend(node.children())
        return tuple(sorted(found, key=lambda v: v.offset))

    def _references(self, base: int) -> tuple[Reference, ...]:
        frame = self._frame
        if not isinstance(self._node, Bounded):  # the common case, walked without scopes
            return tuple(
                Reference(p.root, p.steps, frame[p.start : p.ends[-1]], p.start - base)
                for p in iter_paths(self._node)
            )
        return tuple(
            Reference(p.root, p.steps, frame[p.start : p.ends[-1]], p.start - base, bound)
            for p, bound in _free_paths(self._node)
        )

    def _error(self, failure: EvalFailure) -> ExpressionEvalError:
        offset = self._origin if failure.offset is None else failure.offset
        kind = UndefinedNameError if failure.undefined else ExpressionEvalError
        message = f"{failure.message} in `{self._quote()}`{failure.detail}"
        return kind(message, self.locate(max(offset - self._origin, 0)), failure.hint)

    def _quote(self) -> str:
        if self._frame is self.source:
            return _excerpt(" ".join(self.source.split()))
        start = self._frame.rfind("${", 0, self._origin)
        end = self._frame.find("}", self._origin + len(self.source))
        return _excerpt(" ".join(self._frame[start : end + 1].split()))


_NO_LOOPS: frozenset[str] = frozenset()


def _free_paths(node: Node) -> Iterator[tuple[Path, frozenset[str]]]:
    """The paths that read names of the scope, not loop variables, with the loop variables
    bound where they are. Only a tree that loops has a Bounded root and needs the slower walk."""
    if not isinstance(node, Bounded):
        return ((path, _NO_LOOPS) for path in iter_paths(node))
    return ((p, bound) for p, bound in scoped_paths(node) if p.root not in bound)


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed string with ``${...}`` parts; build it with :func:`parse_template`."""

    source: str
    location: SourceLocation | None
    parts: tuple[str | Expression, ...]  # text (with `$${` already unescaped) and expressions

    @property
    def is_literal(self) -> bool:
        """True when there is no ``${...}`` at all."""
        return all(isinstance(p, str) for p in self.parts)

    @property
    def whole(self) -> Expression | None:
        """The expression when the string is exactly one ``${...}``."""
        parts = self.parts
        if len(parts) == 1 and isinstance(parts[0], Expression):
            return parts[0]
        return None

    def render(self, scope: Mapping[str, Any]) -> Any:
        """The value of a lone ``${...}`` with its own type; otherwise the filled-in text.

        Values are written into text as: strings as they are, null as ``null``, booleans as
        ``true``/``false``, numbers as digits, lists and maps as compact JSON.
        """
        parts = self.parts
        if len(parts) == 1:
            only = parts[0]
            return only if isinstance(only, str) else only.evaluate(scope)
        return "".join(p if isinstance(p, str) else p._run(scope, as_text=True) for p in parts)

    def references(self) -> tuple[Reference, ...]:
        """Every name path read, in source order (offsets relative to the template ``source``)."""
        return tuple(
            ref for p in self.parts if isinstance(p, Expression) for ref in p._references(0)
        )


Locate = Callable[[int], SourceLocation]
"""Where the character at an offset of a text is in the spec (see ``dsl.textpos``)."""


def parse_expression(
    text: str, location: SourceLocation | None = None, locate: Locate | None = None
) -> Expression:
    """Parse a bare expression (``result.count == 10``).

    ``location`` is where the text starts in the spec; errors point into it. ``locate``, when
    given, places any offset of ``text`` (for text whose source is not a plain copy of it, such
    as a YAML block scalar). Raises ExpressionSyntaxError.
    """
    try:
        node = _expression_tree(text)
    except SyntaxFailure as failure:
        raise _syntax_error(failure, text, location, locate) from None
    return Expression(text, location, node, text, 0)


def parse_template(
    text: str, location: SourceLocation | None = None, locate: Locate | None = None
) -> Template:
    """Parse a string that may contain ``${ expression }`` parts (``$${`` is a literal ``${``).

    ``location`` and ``locate`` as for :func:`parse_expression`. Raises ExpressionSyntaxError.
    """
    try:
        shape = _template_shape(text)
    except SyntaxFailure as failure:
        raise _syntax_error(failure, text, location, locate) from None
    parts = tuple(
        part
        if isinstance(part, str)
        else Expression(
            text[part.start : part.end],
            locate(part.start) if locate is not None else _shift(location, text, part.start),
            part.node,
            text,
            part.start,
        )
        for part in shape
    )
    return Template(text, location, parts)


def has_interpolation(text: str) -> bool:
    """Whether ``text`` holds a ``${`` that is not the escape ``$${``."""
    return "${" in text and _INTERPOLATION.search(text) is not None


# ---- parsing ------------------------------------------------------------------------------


@functools.cache
def _lark() -> tuple[Any, type[Exception]]:
    """The parser and lark's error class, taken from one import of lark: a cached parser must
    be caught with the classes of the lark it was built with, also when lark was re-imported."""
    import lark  # only when an expression is more than a simple path

    parser = lark.Lark.open_from_package(
        "llm_pytest.expr",
        "grammar.lark",
        parser="lalr",
        lexer="contextual",
        start=["expression", "template"],
        transformer=AstBuilder(),
        maybe_placeholders=True,
    )
    return parser, lark.exceptions.UnexpectedInput


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _expression_tree(text: str) -> Node:
    match = _SIMPLE_EXPRESSION.match(text)
    if match is not None:
        path = _simple_path(text, match.start(1), match.end(1))
        if path is not None:
            return path
    match = _SIMPLE_COMPARISON.match(text)
    if match is not None:
        comparison = _simple_comparison(text, match)
        if comparison is not None:
            return comparison
    if not text.strip():
        raise SyntaxFailure("the expression is empty", "write an expression such as `x == 1`", 0)
    node: Node = _parse_with_lark(text, "expression")
    return node


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _template_shape(text: str) -> tuple[str | TemplatePart, ...]:
    if "${" not in text:
        return (text,) if text else ()
    shape = _simple_template(text)
    if shape is None:
        raw: list[str | TemplatePart] = _parse_with_lark(text, "template")
        shape = tuple(_strip_part(text, p) if isinstance(p, TemplatePart) else p for p in raw)
    return shape


def _strip_part(text: str, part: TemplatePart) -> TemplatePart:
    inner = text[part.start : part.end]
    start = part.start + len(inner) - len(inner.lstrip())
    end = part.end - (len(inner) - len(inner.rstrip()))
    return TemplatePart(part.node, start, end)


def _simple_template(text: str) -> tuple[str | TemplatePart, ...] | None:
    """The template's parts if every ``${...}`` is a simple path, else None (lark decides)."""
    parts: list[str | TemplatePart] = []
    literal: list[str] = []
    pos = 0
    for match in _TEMPLATE_TOKEN.finditer(text):
        literal.append(text[pos : match.start()])
        pos = match.end()
        if match.group(1) is None:
            if match.group(0) != "$${":
                return None
            literal.append("${")
            continue
        path = _simple_path(text, match.start(1), match.end(1))
        if path is None:
            return None
        if any(literal):
            parts.append("".join(literal))
        literal.clear()
        parts.append(TemplatePart(path, match.start(1), match.end(1)))
    literal.append(text[pos:])
    if any(literal):
        parts.append("".join(literal))
    return tuple(parts)


def _simple_comparison(text: str, match: re.Match[str]) -> Node | None:
    """``path OP operand`` (the usual check, ``result.status == 200``) without lark."""
    left = _simple_path(text, match.start(1), match.end(1))
    right: Node | None
    operand = match.group(3)
    if operand in CONSTANTS:
        right = Literal(CONSTANTS[operand])
    elif operand[0] in "\"'":
        right = Literal(operand[1:-1])
    elif operand[0] in "-0123456789":
        is_float = any(c in operand for c in ".eE")
        right = Literal(float(operand) if is_float else int(operand))
    else:
        right = _simple_path(text, match.start(3), match.end(3))
    if left is None or right is None:
        return None
    op = " ".join(match.group(2).split())
    return Binary(
        op, left, right, match.start(2) + len(match.group(2)) - len(match.group(2).lstrip())
    )


def _simple_path(text: str, start: int, end: int) -> Path | None:
    """The Path for ``text[start:end]``, which matched the simple-path regex."""
    source = text[start:end]
    if "[" not in source:  # the common `a.b.c`: no regex needed
        names = source.split(".")
        if names[0] in KEYWORDS:
            return None
        ends = []
        pos = start - 1
        for name in names:
            pos += len(name) + 1
            ends.append(pos)
        return Path(names[0], tuple(names[1:]), start, tuple(ends))
    step = _STEP.search(text, start, end)
    root_end = step.start() if step is not None else end
    root = text[start:root_end]
    if root in KEYWORDS:
        return None
    steps: list[str | int] = []
    path_ends = [root_end]
    while step is not None:
        name, number, dquoted, squoted = step.groups()
        if number is not None:
            steps.append(int(number))
        else:
            steps.append(name if name is not None else dquoted if dquoted is not None else squoted)
        path_ends.append(step.end())
        step = _STEP.match(text, step.end(), end)
    return Path(root, tuple(steps), start, tuple(path_ends))


def _parse_with_lark(text: str, start: str) -> Any:
    parser, unexpected_input = _lark()
    try:
        result = parser.parse(text, start=start)
    except unexpected_input as exc:
        raise _describe_unexpected(exc, text, template=start == "template") from None
    except RecursionError:
        raise SyntaxFailure("the text nests too deeply to parse", None, 0) from None
    if start == "template":
        nodes = [p.node for p in result if isinstance(p, TemplatePart)]
    else:
        nodes = [result]
    if any(tree_depth(node) > MAX_DEPTH for node in nodes):
        raise SyntaxFailure(
            f"the expression nests too deeply (more than {MAX_DEPTH} levels)",
            "split it into smaller expressions",
            0,
        )
    if start == "template":
        return [_bounded_part(p) if isinstance(p, TemplatePart) else p for p in result]
    return Bounded(result) if has_loops(result) else result


def _bounded_part(part: TemplatePart) -> TemplatePart:
    if not has_loops(part.node):
        return part
    return TemplatePart(Bounded(part.node), part.start, part.end)


# ---- syntax errors --------------------------------------------------------------------------

_VALUE_STARTS = frozenset({"NAME", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "NULL"})
_OPERATORS = frozenset(
    {"OR", "AND", "COMPARE", "IN", "MATCHES", "PLUS", "STAR", "SLASH", "PERCENT", "COALESCE"}
)
_COMPARISONS = frozenset({"COMPARE", "IN", "MATCHES", "NOT"})
_CLOSER = {"(": ")", "[": "]", "{": "}", "${": "}"}
_CLOSER_TERMINAL = {")": "RPAR", "]": "RSQB", "}": "RBRACE"}
_TERMINAL_TEXT = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "STRING": "a string",
    "IN": "`in`",
    "COLON": "`:`",
    "COMMA": "`,`",
    "RPAR": "`)`",
    "RSQB": "`]`",
    "RBRACE": "`}`",
}
_TOKEN_AT = re.compile(r"\$\$?\{|[A-Za-z_][A-Za-z0-9_]*|[0-9]+|==|!=|<=|>=|\?\?|\S")
_TOKEN_KIND = {
    "(": "LPAR",
    ")": "RPAR",
    "[": "LSQB",
    "]": "RSQB",
    "{": "LBRACE",
    "}": "RBRACE",
    "${": "OPEN",
    "$${": "OPEN",
    **{op: "COMPARE" for op in ("==", "!=", "<", "<=", ">", ">=")},
    **{word: word.upper() for word in KEYWORDS},
}
_CHAR_HINTS = {
    "=": "use `==` to compare",
    "&": "use `and`",
    "|": "use `or`",
    "!": "use `not`, or `!=` to compare",
    "$": "an expression reads names directly, without `${...}`: write `result.id > 0`",
    "${": "an expression reads names directly, without `${...}`: write `result.id > 0`",
}


def _describe_unexpected(exc: Any, text: str, *, template: bool) -> SyntaxFailure:
    """Say what went wrong where, in the user's words, from lark's exception."""
    token = getattr(exc, "token", None)
    at_end = token is not None and token.type == "$END"
    if at_end:
        pos = len(text)
    else:
        pos = token.start_pos if token is not None else exc.pos_in_stream
        pos = min(max(pos or 0, 0), len(text))
    expected: set[str] = set(getattr(exc, "expected", None) or getattr(exc, "allowed", ()) or ())
    opened = _open_brackets(text, pos, template=template)
    where = _column(text, pos)

    if at_end or pos >= len(text):
        if opened and opened[-1] == "${":
            return SyntaxFailure(
                f"`${{` is not closed at {where}",
                "end the expression with `}`, or write `$${` for a literal `${`",
                pos,
            )
        return SyntaxFailure(
            f"unexpected end of the expression at {where}",
            _expected(expected, opened, text[:pos]),
            pos,
        )
    # lark's token is not always the one the user sees (when nothing fits, lark re-lexes with
    # every terminal, which can give template text), so look at the source itself.
    match = _TOKEN_AT.match(text, pos)
    shown = match.group(0) if match else text[pos]
    kind = _TOKEN_KIND.get(shown, "NAME" if shown[0].isalpha() or shown[0] == "_" else shown)
    if shown in "\"'":
        return SyntaxFailure(
            f"unclosed string at {where}",
            f"end the string with a matching {shown} on the same line",
            pos,
        )
    message = f"unexpected `{shown}` at {where}"
    hint: str | None
    if kind in _COMPARISONS and "AND" in expected:
        return SyntaxFailure(
            f"comparisons cannot be chained: {message}",
            "join them with `and`, e.g. `a < b and b < c`",
            pos,
        )
    if shown.isalpha() and not shown.isascii():
        hint = "names are ASCII letters, digits and `_`; write other text as a quoted string"
    elif kind == "LPAR" and re.search(rf"\.\s*{_NAME}\s*\Z", text[:pos]):
        hint = "functions are called as `len(x)`, not `x.len()`"
    elif kind in _CLOSER_TERMINAL.values() and not (opened and _CLOSER[opened[-1]] == shown):
        hint = f"there is nothing for this `{shown}` to close"
    elif shown in _CHAR_HINTS and not (template and kind == "OPEN"):
        hint = _CHAR_HINTS[shown]
    elif template and kind == "OPEN":
        hint = "`${...}` cannot be nested; write the inner expression directly"
    else:
        hint = _expected(expected, opened, text[:pos])
    return SyntaxFailure(message, hint, pos)


def _expected(expected: set[str], opened: list[str], before: str) -> str | None:
    inner = opened[-1] if opened else None
    closer = _CLOSER_TERMINAL[_CLOSER[inner]] if inner is not None else None
    if inner is None or inner == "${":
        expected = expected - {"COMMA", "COLON"}
    # LALR merges states, so a closer may be "expected" where nothing is open.
    expected = {t for t in expected if t not in _CLOSER_TERMINAL.values() or t == closer}
    if expected == {"NAME"}:
        if _AFTER_FOR.search(before):
            return "expected a loop variable name, as in `[u.id for u in result.users]`"
        return "expected a field name"
    if len(expected) <= 2:
        options = sorted({_TERMINAL_TEXT[t] for t in expected if t in _TERMINAL_TEXT})
    else:
        options = []
        if expected & _VALUE_STARTS:
            options.append("a value (a name, number, string, list or map)")
        if expected & _OPERATORS:
            options.append("an operator")
        options += [_TERMINAL_TEXT[t] for t in ("COMMA", "COLON") if t in expected]
        if closer in expected:
            options.append(_TERMINAL_TEXT[closer])
    if not options:
        return None
    head = ", ".join(options[:-1])
    return f"expected {head} or {options[-1]}" if head else f"expected {options[0]}"


def _open_brackets(text: str, end: int, *, template: bool) -> list[str]:
    """The brackets (and, in a template, `${`) still open at ``end``, innermost last."""
    stack: list[str] = []
    i = 0
    while i < end:
        if template and not stack:
            if text.startswith("$${", i):
                i += 3
            elif text.startswith("${", i):
                stack.append("${")
                i += 2
            else:
                i += 1
            continue
        char = text[i]
        if char in "\"'":
            i += 1
            while i < end and text[i] not in (char, "\n"):
                i += 2 if text[i] == "\\" else 1
        elif char in "([{":
            stack.append(char)
        elif char in ")]}" and stack:
            stack.pop()
        i += 1
    return stack


def _column(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    column = f"column {pos - line_start + 1}"
    return f"line {text.count(chr(10), 0, pos) + 1}, {column}" if line_start else column


def _syntax_error(
    failure: SyntaxFailure, text: str, location: SourceLocation | None, locate: Locate | None
) -> ExpressionSyntaxError:
    quoted = f" in `{_excerpt(text, failure.offset)}`" if text.strip() else ""
    where = locate(failure.offset) if locate is not None else _shift(location, text, failure.offset)
    return ExpressionSyntaxError(failure.message + quoted, where, failure.hint)


# ---- locations and quotes -------------------------------------------------------------------


def _shift(location: SourceLocation | None, text: str, offset: int) -> SourceLocation | None:
    """Where ``text[offset]`` is, given that ``text`` starts at ``location``.

    A later line of a multi-line text is taken to be indented like the first, which is how
    YAML block scalars are written.
    """
    if location is None:
        return None
    line_start = text.rfind("\n", 0, offset) + 1
    if not line_start:
        return location.shifted(offset)
    lines = text.count("\n", 0, offset)
    return SourceLocation(location.path, location.line + lines, location.col + offset - line_start)


def _excerpt(text: str, around: int = 0) -> str:
    """``text`` for a message: the line of ``around``, whole when short, else a window."""
    text = text.rstrip()
    around = min(around, len(text))
    if "\n" in text:
        line_start = text.rfind("\n", 0, around) + 1
        line_end = text.find("\n", around)
        line = text[line_start : len(text) if line_end < 0 else line_end]
        around -= line_start + len(line) - len(line.lstrip())
        text = line.strip()
    if len(text) <= _QUOTE_LIMIT:
        return text
    start = max(0, min(around - _QUOTE_LIMIT // 2, len(text) - _QUOTE_LIMIT))
    window = text[start : start + _QUOTE_LIMIT]
    return ("…" if start else "") + window + ("…" if start + _QUOTE_LIMIT < len(text) else "")
