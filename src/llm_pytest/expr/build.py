"""Builds the syntax tree while lark parses ``grammar.lark`` (see :class:`AstBuilder`)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from llm_pytest.errors import closest
from llm_pytest.expr.evaluate import is_number
from llm_pytest.expr.functions import FUNCTIONS
from llm_pytest.expr.loops import Comprehension, Loop, Projection, Quantifier, Step
from llm_pytest.expr.nodes import (
    AndOr,
    Binary,
    Call,
    Coalesce,
    Field,
    Index,
    ListNode,
    Literal,
    MapNode,
    Neg,
    Node,
    Not,
    Path,
    SyntaxFailure,
    TemplatePart,
)

__all__ = ["CONSTANTS", "KEYWORDS", "AstBuilder", "unescape"]

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16))
    # Unknown escapes stay as written, so regular expressions like "\d+" need no doubling.
    return _ESCAPES.get(code, match.group(0))


def unescape(token: str) -> str:
    body = token[1:-1]
    return _ESCAPE.sub(_unescape_one, body) if "\\" in body else body


CONSTANTS = {"true": True, "false": False, "null": None}
KEYWORDS = frozenset({"and", "or", "not", "in", "matches", "for", "if", *CONSTANTS})
"""Words that are never names (they may still be field names: `x.in`)."""


def _static_key(index: Node) -> str | int | None:
    if isinstance(index, Literal):
        key = index.value
        if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
            return key
    return None


def _function(name: Any, count: int) -> str:
    """The name of the function called as ``name`` with ``count`` arguments, if that fits."""
    function = FUNCTIONS.get(str(name))
    if function is None:
        guess = closest(str(name), FUNCTIONS)
        known = "known functions: " + ", ".join(sorted(FUNCTIONS))
        raise SyntaxFailure(
            f"unknown function `{name}`",
            f"did you mean `{guess}`? ({known})" if guess else known,
            name.start_pos,
        )
    problem = function.arity_problem(count)
    if problem is not None:
        raise SyntaxFailure(problem, f"call it as {function.usage}", name.start_pos)
    return function.name


def _comprehension(element: Node, loops: list[Loop], offset: int) -> Comprehension:
    """The comprehension, refused when a loop variable reuses a name bound around it."""
    node = Comprehension(element, tuple(loops), offset)
    stack: list[tuple[Node, frozenset[str]]] = [(node, frozenset())]
    while stack:
        current, bound = stack.pop()
        if isinstance(current, Comprehension):
            for loop in current.loops:
                if loop.name in bound:
                    raise SyntaxFailure(
                        f"the loop variable `{loop.name}` is already bound here",
                        "give each loop variable its own name",
                        loop.offset,
                    )
                bound = bound | {loop.name}
        stack.extend((child, bound) for child in current.children())
    return node


class AstBuilder:
    """Builds the tree while lark parses: lark calls one method per rule alias of grammar.lark.

    It is lark's transformer protocol (``Lark(transformer=...)`` with LALR), written without
    the ``lark.Transformer`` base class so that importing this module does not import lark:
    simple paths never need the parser. Each method gets the rule's children as a list.
    """

    def or_(self, c: list[Any]) -> Node:
        return AndOr(False, tuple(c[0::2]))

    def and_(self, c: list[Any]) -> Node:
        return AndOr(True, tuple(c[0::2]))

    def not_(self, c: list[Any]) -> Node:
        return Not(c[1])

    def compare(self, c: list[Any]) -> Node:
        op, offset = c[1]
        return Binary(op, c[0], c[2], offset)

    def comp_op(self, c: list[Any]) -> tuple[str, int]:
        return " ".join(str(t) for t in c), c[0].start_pos

    def binary(self, c: list[Any]) -> Node:
        return Binary(str(c[1]), c[0], c[2], c[1].start_pos)

    def neg(self, c: list[Any]) -> Node:
        operand = c[1]
        if isinstance(operand, Literal) and is_number(operand.value):
            return Literal(-operand.value)
        return Neg(operand, c[0].start_pos)

    def coalesce(self, c: list[Any]) -> Node:
        return Coalesce(c[0], c[2])

    def field(self, c: list[Any]) -> Node:
        subject, dot, name = c
        if isinstance(subject, Path) and not subject.sealed:
            return subject.extended(str(name), name.end_pos)
        if isinstance(subject, Projection) and not subject.sealed:
            return subject.extended(str(name), dot.start_pos)
        return Field(subject, str(name), dot.start_pos)

    def index(self, c: list[Any]) -> Node:
        subject, bracket, index, close = c
        key = _static_key(index)
        if isinstance(subject, Path) and not subject.sealed and key is not None:
            return subject.extended(key, close.end_pos)
        if isinstance(subject, Projection) and not subject.sealed:
            return subject.extended(index if key is None else key, bracket.start_pos)
        return Index(subject, index, bracket.start_pos)

    def wildcard(self, c: list[Any]) -> Node:
        subject, bracket, _, _ = c
        if isinstance(subject, Projection) and not subject.sealed:
            return subject.extended(None, bracket.start_pos)
        return Projection(subject, (Step(None, bracket.start_pos),))

    def name(self, c: list[Any]) -> Node:
        token = c[0]
        # The contextual lexer reads a keyword as a name where the keyword cannot stand.
        if token in KEYWORDS:
            raise SyntaxFailure(
                f"`{token}` is a keyword, not a name",
                "a keyword cannot start an expression; put a value before it",
                token.start_pos,
            )
        return Path(str(token), (), token.start_pos, (token.end_pos,))

    def call(self, c: list[Any]) -> Node:
        name, _, args, _ = c
        arguments = tuple(args or ())
        return Call(_function(name, len(arguments)), arguments, name.start_pos)

    def generator(self, c: list[Any]) -> Node:
        """``f(x for v in xs)``: the loop's values as the one argument; all/any stop early."""
        name, _, element, loops, _ = c
        function = _function(name, 1)
        comprehension = _comprehension(element, loops, name.start_pos)
        if function in ("all", "any"):
            return Quantifier(function == "all", comprehension)
        return Call(function, (comprehension,), name.start_pos)

    def comprehension(self, c: list[Any]) -> Node:
        bracket, element, loops, _ = c
        return _comprehension(element, loops, bracket.start_pos)

    def loops(self, c: list[Any]) -> list[Loop]:
        return c

    def loop(self, c: list[Any]) -> Loop:
        _, name, keyword, iterable, _, condition = c
        if name in KEYWORDS:
            raise SyntaxFailure(
                f"`{name}` is a keyword, not a name", "name the loop variable", name.start_pos
            )
        start = iterable.start if isinstance(iterable, Path) else keyword.start_pos
        return Loop(str(name), iterable, condition, name.start_pos, start)

    def group(self, c: list[Any]) -> Node:
        inner = c[1]
        return replace(inner, sealed=True) if isinstance(inner, Path | Projection) else inner

    def int_(self, c: list[Any]) -> Node:
        token = c[0]
        try:
            return Literal(int(token))
        except ValueError:  # more digits than Python converts
            raise SyntaxFailure("this number is too long", None, token.start_pos) from None

    def float_(self, c: list[Any]) -> Node:
        return Literal(float(c[0]))

    def string(self, c: list[Any]) -> Node:
        return Literal(unescape(c[0]))

    def const(self, c: list[Any]) -> Node:
        return Literal(CONSTANTS[str(c[0])])

    def list_(self, c: list[Any]) -> Node:
        return ListNode(tuple(c[1] or ()))

    def map_(self, c: list[Any]) -> Node:
        pairs: list[tuple[str, Node]] = c[1] or []
        return MapNode(tuple(k for k, _ in pairs), tuple(v for _, v in pairs))

    def arguments(self, c: list[Any]) -> list[Node]:
        return [x for x in c if isinstance(x, Node)]

    def items(self, c: list[Any]) -> list[Node]:
        return [x for x in c if isinstance(x, Node)]

    def pairs(self, c: list[Any]) -> list[tuple[str, Node]]:
        return [x for x in c if isinstance(x, tuple)]

    def pair(self, c: list[Any]) -> tuple[str, Node]:
        return unescape(c[0]), c[2]

    def template(self, c: list[Any]) -> list[str | TemplatePart]:
        parts: list[str | TemplatePart] = []
        for child in c:
            if isinstance(child, TemplatePart):
                parts.append(child)
                continue
            text = "${" if child.type == "ESCAPE" else str(child)
            if parts and isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
        return parts

    def interpolation(self, c: list[Any]) -> TemplatePart:
        return TemplatePart(c[1], c[0].end_pos, c[2].start_pos)
