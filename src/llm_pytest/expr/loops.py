"""The nodes that loop over lists: comprehensions, ``all``/``any`` quantifiers and ``a[*].b``.

Every element a loop reaches counts against one budget per evaluation of an expression
(:data:`MAX_VISITS`), so nested loops over large data stop with a clear error instead of
running for minutes. :class:`Bounded` sits at the root of every tree that loops and opens it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from llm_pytest.expr.evaluate import EvalFailure, Subject, index_of, typed
from llm_pytest.expr.nodes import Node, Path, path_text

__all__ = [
    "MAX_VISITS",
    "Bounded",
    "Comprehension",
    "Loop",
    "Projection",
    "Quantifier",
    "Step",
    "has_loops",
    "outer_quantifiers",
]

MAX_VISITS = 1_000_000
"""Most list elements one evaluation of an expression may loop over, counting nested loops."""

_NULL_LOOP_HINT = "use `x ?? []` to loop over nothing when the value is null"


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_VISITS

    def spend(self, count: int) -> None:
        # Charged for a whole list before its first element, so a runaway loop stops early.
        self.left -= count
        if self.left < 0:
            raise EvalFailure(
                f"the expression loops over more than {MAX_VISITS:,} list elements",
                "loop over less data, e.g. filter an inner list once instead of in every pass",
            )


_BUDGET: ContextVar[_Budget] = ContextVar("llm_pytest_expr_budget")


@dataclass(frozen=True, slots=True)
class Bounded(Node):
    """The root of a tree that loops: each evaluation gets a fresh budget."""

    inner: Node

    def eval(self, scope: Mapping[str, Any]) -> Any:
        token = _BUDGET.set(_Budget())
        try:
            return self.inner.eval(scope)
        finally:
            _BUDGET.reset(token)

    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


@dataclass(frozen=True, slots=True)
class Loop:
    """One ``for NAME in ITERABLE [if CONDITION]`` clause."""

    name: str
    iterable: Node
    condition: Node | None
    offset: int  # of the name
    iterable_offset: int


@dataclass(frozen=True, slots=True)
class Comprehension(Node):
    """``[element for v in xs if c]``; also the argument of ``sum(x for x in xs)``."""

    element: Node
    loops: tuple[Loop, ...]
    offset: int

    def eval(self, scope: Mapping[str, Any]) -> Any:
        try:
            return list(self.values(scope))
        except EvalFailure as failure:
            raise failure.at(self.offset) from None

    def values(self, scope: Mapping[str, Any]) -> Iterator[Any]:
        """The element's value for each pass, lazily (quantifiers stop early)."""
        local: dict[str, Any] = {}
        yield from self._passes(0, _LoopScope(local, scope), local, _BUDGET.get())

    def _passes(
        self, depth: int, scope: Mapping[str, Any], local: dict[str, Any], budget: _Budget
    ) -> Iterator[Any]:
        loop = self.loops[depth]
        items = _loop_items(loop.iterable.eval(scope), loop)
        budget.spend(len(items))
        innermost = depth + 1 == len(self.loops)
        for item in items:
            local[loop.name] = item
            if loop.condition is not None and not loop.condition.eval(scope):
                continue
            if innermost:
                yield self.element.eval(scope)
            else:
                yield from self._passes(depth + 1, scope, local, budget)

    def children(self) -> tuple[Node, ...]:
        out: list[Node] = []
        for loop in self.loops:
            out.append(loop.iterable)
            if loop.condition is not None:
                out.append(loop.condition)
        out.append(self.element)
        return tuple(out)

    def scoped_children(self) -> tuple[tuple[Node, frozenset[str]], ...]:
        # As in Python: a loop's iterable sees the variables of the loops before it, its
        # condition sees its own too, and the element sees them all.
        out: list[tuple[Node, frozenset[str]]] = []
        bound: frozenset[str] = frozenset()
        for loop in self.loops:
            out.append((loop.iterable, bound))
            bound = bound | {loop.name}
            if loop.condition is not None:
                out.append((loop.condition, bound))
        out.append((self.element, bound))
        return tuple(out)


class _LoopScope(Mapping[str, Any]):
    """The names inside a comprehension: its loop variables over the names around it."""

    __slots__ = ("_local", "_outer")

    def __init__(self, local: dict[str, Any], outer: Mapping[str, Any]) -> None:
        self._local = local
        self._outer = outer

    def __getitem__(self, key: str) -> Any:
        local = self._local
        return local[key] if key in local else self._outer[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._local
        yield from (k for k in self._outer if k not in self._local)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _loop_items(value: Any, loop: Loop) -> list[Any] | tuple[Any, ...]:
    if isinstance(value, list | tuple):
        return value
    code = _code(loop.iterable)
    if value is None:
        hint = _NULL_LOOP_HINT
    elif isinstance(value, Mapping):
        hint = f"loop over keys({code or 'x'}) or values({code or 'x'})"
    elif isinstance(value, str):
        hint = "a string is not a list of characters here; loop over a list"
    else:
        hint = "`for` loops over the items of a list"
    raise EvalFailure(
        f"`for {loop.name} in {code or '...'}` needs a list, not {typed(value)}",
        hint,
        offset=loop.iterable_offset,
    )


def _code(node: Node) -> str | None:
    return path_text(node.root, node.steps) if isinstance(node, Path) else None


@dataclass(frozen=True, slots=True)
class Quantifier(Node):
    """``all(c for v in xs)`` / ``any(...)``: stops at the first pass that decides."""

    is_all: bool
    comprehension: Comprehension

    def eval(self, scope: Mapping[str, Any]) -> Any:
        try:
            for value in self.comprehension.values(scope):
                if bool(value) is not self.is_all:
                    return not self.is_all
        except EvalFailure as failure:
            raise failure.at(self.comprehension.offset) from None
        return self.is_all

    def children(self) -> tuple[Node, ...]:
        return (self.comprehension,)

    def first_failure(self, scope: Mapping[str, Any]) -> tuple[str, Any] | None:
        """For an ``all`` of one loop: ``("u = result.users[3]", value)``, the first item that
        made it false, or None. For failure reports: a long list hides the culprit."""
        comprehension = self.comprehension
        if not self.is_all or len(comprehension.loops) != 1:
            return None
        (loop,) = comprehension.loops
        token = _BUDGET.set(budget := _Budget())
        try:
            items = _loop_items(loop.iterable.eval(scope), loop)
            budget.spend(len(items))
            local: dict[str, Any] = {}
            inner = _LoopScope(local, scope)
            for i, item in enumerate(items):
                local[loop.name] = item
                if loop.condition is not None and not loop.condition.eval(inner):
                    continue
                if not comprehension.element.eval(inner):
                    iterable = loop.iterable
                    where = (
                        path_text(iterable.root, (*iterable.steps, i))
                        if isinstance(iterable, Path)
                        else f"item {i} of the list"
                    )
                    return f"{loop.name} = {where}", item
        finally:
            _BUDGET.reset(token)
        return None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a :class:`Projection` after its first ``[*]``."""

    key: str | int | Node | None  # a field, a static index, an index expression, or None: [*]
    offset: int


@dataclass(frozen=True, slots=True)
class Projection(Node):
    """``a.items[*].id``: the steps after ``[*]`` read from every item, into one list.

    Each further ``[*]`` flattens one level, so ``orders[*].lines[*].sku`` is every sku of
    every order. ``[*]`` of a map reads its values.
    """

    subject: Node
    steps: tuple[Step, ...]  # the first is the [*]
    sealed: bool = False  # written in parentheses: `(a[*]).b` reads `b` of the list

    def eval(self, scope: Mapping[str, Any]) -> Any:
        subject = self.subject.eval(scope)
        keys = [s.key.eval(scope) if isinstance(s.key, Node) else s.key for s in self.steps]
        out: list[Any] = []
        self._walk(subject, 0, keys, (), out, _BUDGET.get())
        return out

    def _walk(
        self,
        value: Any,
        first: int,
        keys: list[Any],
        where: tuple[Any, ...],
        out: list[Any],
        budget: _Budget,
    ) -> None:
        for k in range(first, len(self.steps)):
            step = self.steps[k]
            try:
                if step.key is None:
                    items = _members(value, self._subject(where))
                    budget.spend(len(items))
                    for label, item in items:
                        self._walk(item, k + 1, keys, (*where, label), out, budget)
                    return
                key = keys[k]
                value = index_of(value, key, self._subject(where))
            except EvalFailure as failure:
                raise failure.at(step.offset) from None
            where = (*where, key)
        out.append(value)

    def _subject(self, where: tuple[Any, ...]) -> Subject:
        subject = self.subject
        if not isinstance(subject, Path):
            return None
        return lambda: path_text(subject.root, (*subject.steps, *where))

    def extended(self, key: str | int | Node | None, offset: int) -> Projection:
        return Projection(self.subject, (*self.steps, Step(key, offset)))

    def children(self) -> tuple[Node, ...]:
        return (self.subject, *(s.key for s in self.steps if isinstance(s.key, Node)))


def _members(value: Any, subject: Subject) -> list[tuple[str | int, Any]]:
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    code = subject() if subject is not None else None
    what = f"`{code}`" if code is not None else "the value"
    if value is None:
        raise EvalFailure(
            f"{what} is null, so `[*]` has no items to read",
            "use `x ?? []` for a list that may be missing or null",
            undefined=True,
        )
    raise EvalFailure(
        f"`[*]` needs a list or a map, not {typed(value)} ({what})",
        "`[*]` reads every item of a list, or every value of a map",
    )


def outer_quantifiers(node: Node) -> Iterator[Quantifier]:
    """The quantifiers of the tree that no loop encloses, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Quantifier):
            yield current
        elif not isinstance(current, Comprehension):
            stack.extend(reversed(current.children()))


def has_loops(node: Node) -> bool:
    """Whether the tree holds a node that loops (and so needs a :class:`Bounded` root)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Comprehension | Projection):
            return True
        stack.extend(current.children())
    return False
