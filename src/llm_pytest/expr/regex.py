"""Regular expressions for ``matches``, refused when they can take exponential time.

Python's matcher backtracks, and it cannot be interrupted from inside a run: a pattern such as
``^(a+)+$`` on 35 characters that end in a mismatch runs for minutes, past any step timeout.
The classic cause is a repeated group whose body can match the same text in many ways because
it is, apart from parts that may match nothing, one repetition of variable length: ``(a+)+``,
``(a*)*``, ``(\\w+\\s?)+``. Such patterns are refused before they match anything.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["compile_regex"]

# The stdlib's own pattern parser (``re._parser``): it has no stubs, hence imported by name.
_parser: Any = importlib.import_module("re._parser")
_REPEATS = {_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT}
_GROUPS = {_parser.SUBPATTERN, _parser.ATOMIC_GROUP}


class CatastrophicPattern(ValueError):
    """A pattern with a nested repetition that can backtrack exponentially."""


def compile_regex(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``; CatastrophicPattern when it nests repetitions."""
    compiled = re.compile(pattern)
    if _nests_repeats(_parser.parse(pattern, compiled.flags)):
        raise CatastrophicPattern(
            "it repeats a group that is itself one repetition, such as (a+)+ or (\\w+\\s?)*, "
            "which can take exponential time on text that does not match"
        )
    return compiled


def _nests_repeats(items: Any) -> bool:
    """Whether a repeated body is, somewhere in ``items``, one repetition of variable length."""
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if (_variable(op, low, high) and _one_repeat(body)) or _nests_repeats(body):
                return True
        elif any(map(_nests_repeats, _bodies(op, av))):
            return True
    return False


def _bodies(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of a group, an alternation or a lookaround."""
    if op in _GROUPS:
        return [av[-1]]
    if op == _parser.BRANCH:
        return list(av[1])
    if op in (_parser.ASSERT, _parser.ASSERT_NOT):
        return [av[1]]
    return []


def _variable(op: Any, low: int, high: int) -> bool:
    """A repetition that can match a run in more than one way (possessive ones cannot)."""
    return op != _parser.POSSESSIVE_REPEAT and high != low and high > 1


def _one_repeat(body: Any) -> bool:
    """Whether ``body``, apart from parts that may match nothing, is one variable repetition
    (or, when every part may match nothing, holds one)."""
    items = _flattened(body)
    required = [item for item in items if _min_width(item) > 0]
    candidates = required if required else items
    if required and len(required) != 1:
        return False
    return any(op in _REPEATS and _variable(op, *av[:2]) for op, av in candidates)


def _flattened(body: Any) -> list[tuple[Any, Any]]:
    """``body``'s items, with plain groups opened."""
    items: list[tuple[Any, Any]] = []
    for op, av in body:
        if op == _parser.SUBPATTERN:
            items.extend(_flattened(av[-1]))
        else:
            items.append((op, av))
    return items


def _min_width(item: tuple[Any, Any]) -> int:
    return int(_parser.SubPattern(_parser.State(), [item]).getwidth()[0])
