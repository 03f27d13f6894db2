"""The typed syntax tree of expressions and how it evaluates (``build.py`` builds it).

Nodes are frozen slotted dataclasses; ``node.eval(scope)`` walks the tree. Offsets are character
positions in the text that was parsed (a bare expression, or a whole template), so the
:class:`~llm_pytest.expr.parse.Expression` that owns a tree can point at the failing part.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from llm_pytest.errors import closest
from llm_pytest.expr.evaluate import (
    OPERATORS,
    EvalFailure,
    field_of,
    index_of,
    is_number,
    typed,
)
from llm_pytest.expr.functions import FUNCTIONS

__all__ = [
    "AndOr",
    "Binary",
    "Call",
    "Coalesce",
    "Field",
    "Index",
    "ListNode",
    "Literal",
    "MapNode",
    "Neg",
    "Node",
    "Not",
    "Path",
    "SyntaxFailure",
    "TemplatePart",
    "iter_paths",
    "path_text",
    "scoped_paths",
    "tree_depth",
]

_NAMES_SHOWN = 15
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SyntaxFailure(Exception):
    """A parse problem at ``offset``, turned into an ExpressionSyntaxError by the parser."""

    def __init__(self, message: str, hint: str | None, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.offset = offset


class Node:
    """Base of every syntax tree node."""

    __slots__ = ()

    def eval(self, scope: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()

    def scoped_children(self) -> tuple[tuple[Node, frozenset[str]], ...]:
        """The children, each with the loop variables bound where it is read."""
        return tuple((child, _NOTHING_BOUND) for child in self.children())


_NOTHING_BOUND: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any  # a scalar only; list and map literals are nodes, so no value is ever shared

    def eval(self, scope: Mapping[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class ListNode(Node):
    items: tuple[Node, ...]

    def eval(self, scope: Mapping[str, Any]) -> Any:
        return [item.eval(scope) for item in self.items]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class MapNode(Node):
    keys: tuple[str, ...]
    values: tuple[Node, ...]

    def eval(self, scope: Mapping[str, Any]) -> Any:
        return {k: v.eval(scope) for k, v in zip(self.keys, self.values, strict=True)}

    def children(self) -> tuple[Node, ...]:
        return self.values


def path_text(root: str, steps: tuple[str | int, ...]) -> str:
    """The canonical spelling of a path: ``a.b[0]["key with spaces"]``."""
    out = [root]
    for step in steps:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _IDENTIFIER.match(step):
            out.append(f".{step}")
        else:
            out.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Path(Node):
    """A name and the static fields/indexes read from it: ``new_user.items[0]``."""

    root: str
    steps: tuple[str | int, ...]
    start: int
    ends: tuple[int, ...]  # where the root, then each step, ends
    sealed: bool = False  # written in parentheses: `(a).b` is a field of a path, not a longer path

    def eval(self, scope: Mapping[str, Any]) -> Any:
        try:
            value = scope[self.root]
        except KeyError:
            raise self._undefined(scope) from None
        try:
            for i, step in enumerate(self.steps):
                # Plain dicts and lists take the fast road; everything else gets full checks.
                if isinstance(step, str):
                    if type(value) is dict and step in value:
                        value = value[step]
                        continue
                    value = field_of(value, step, self._prefix(i))
                else:
                    if type(value) is list and -len(value) <= step < len(value):
                        value = value[step]
                        continue
                    value = index_of(value, step, self._prefix(i))
        except EvalFailure as failure:
            raise failure.at(self.start) from None
        return value

    def _prefix(self, count: int) -> Callable[[], str]:
        return lambda: path_text(self.root, self.steps[:count])

    def _undefined(self, scope: Mapping[str, Any]) -> EvalFailure:
        names = sorted(str(k) for k in scope)
        guess = closest(self.root, names)
        shown = ", ".join(names[:_NAMES_SHOWN]) + (", ..." if len(names) > _NAMES_SHOWN else "")
        return EvalFailure(
            f"`{self.root}` is not defined",
            f"did you mean `{guess}`?"
            if guess
            else "a name must be bound before it is read, e.g. by `save_as` in an earlier step",
            detail=f"; available names: {shown}" if names else "; no names are defined here",
            offset=self.start,
            undefined=True,
        )

    def extended(self, step: str | int, end: int) -> Path:
        return Path(self.root, (*self.steps, step), self.start, (*self.ends, end))


@dataclass(frozen=True, slots=True)
class Field(Node):
    subject: Node
    name: str
    offset: int

    def eval(self, scope: Mapping[str, Any]) -> Any:
        try:
            return field_of(self.subject.eval(scope), self.name, None)
        except EvalFailure as failure:
            raise failure.at(self.offset) from None

    def children(self) -> tuple[Node, ...]:
        return (self.subject,)


@dataclass(frozen=True, slots=True)
class Index(Node):
    subject: Node
    index: Node
    offset: int

    def eval(self, scope: Mapping[str, Any]) -> Any:
        try:
            subject = self.subject.eval(scope)
            index = self.index.eval(scope)
            code = _static_text(self.subject)
            return index_of(subject, index, None if code is None else lambda: code)
        except EvalFailure as failure:
            raise failure.at(self.offset) from None

    def children(self) -> tuple[Node, ...]:
        return (self.subject, self.index)


def _static_text(node: Node) -> str | None:
    return path_text(node.root, node.steps) if isinstance(node, Path) else None


@dataclass(frozen=True, slots=True)
class Call(Node):
    function: str  # a name from FUNCTIONS (a name, not the function, so trees pickle)
    args: tuple[Node, ...]
    offset: int

    def eval(self, scope: Mapping[str, Any]) -> Any:
        values = [arg.eval(scope) for arg in self.args]
        try:
            return FUNCTIONS[self.function](*values)
        except EvalFailure as failure:
            raise failure.at(self.offset) from None

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node

    def eval(self, scope: Mapping[str, Any]) -> Any:
        return not self.operand.eval(scope)

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Node
    offset: int

    def eval(self, scope: Mapping[str, Any]) -> Any:
        value = self.operand.eval(scope)
        if is_number(value):
            return -value
        raise EvalFailure(
            f"cannot apply unary `-` to {typed(value)}",
            "`-x` needs a number; use int(x) or float(x) to read one from text",
            offset=self.offset,
        )

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class AndOr(Node):
    """``a and b and ...`` or ``a or b or ...``; short-circuits and gives a bool."""

    is_and: bool
    operands: tuple[Node, ...]

    def eval(self, scope: Mapping[str, Any]) -> Any:
        for operand in self.operands:
            if bool(operand.eval(scope)) is not self.is_and:
                return not self.is_and
        return self.is_and

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node
    offset: int

    def eval(self, scope: Mapping[str, Any]) -> Any:
        left = self.left.eval(scope)
        right = self.right.eval(scope)
        try:
            return OPERATORS[self.op](left, right)
        except EvalFailure as failure:
            raise failure.at(self.offset) from None

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Coalesce(Node):
    """``a ?? b``: ``a`` unless it is missing or null."""

    left: Node
    right: Node

    def eval(self, scope: Mapping[str, Any]) -> Any:
        try:
            value = self.left.eval(scope)
        except EvalFailure as failure:
            if not failure.undefined:
                raise
            return self.right.eval(scope)
        return self.right.eval(scope) if value is None else value

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """One ``${...}`` of a template: its tree and the text between ``${`` and ``}``."""

    node: Node
    start: int
    end: int


def iter_paths(node: Node) -> Iterator[Path]:
    """Every :class:`Path` in the tree, in source order (see :func:`scoped_paths` for trees
    that loop)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Path):
            yield current
        else:
            stack.extend(reversed(current.children()))


def scoped_paths(node: Node) -> Iterator[tuple[Path, frozenset[str]]]:
    """Every :class:`Path` in the tree with the loop variables bound where it is, in source
    order."""
    stack = [(node, _NOTHING_BOUND)]
    while stack:
        current, bound = stack.pop()
        if isinstance(current, Path):
            yield current, bound
        else:
            for child, names in reversed(current.scoped_children()):
                stack.append((child, bound | names if names else bound))


def tree_depth(node: Node) -> int:
    """How deeply the tree nests (without recursion, so absurd input cannot overflow)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in current.children())
    return deepest
