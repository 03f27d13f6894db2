"""Regular expressions for ``matches``, refused when they can take exponential time.

Python's matcher backtracks, and it cannot be interrupted from inside a run: a pattern such as
``^(a+)+$`` on 35 characters that end in a mismatch runs for minutes, past any step timeout.
The classic cause is a repeated group whose body can match the same text in many ways because
it is, apart from parts that may match nothing, one repetition of variable length: ``(a+)+``,
``(a*)*``, ``(\\w+\\s?)+``. The other is a repeated choice whose alternatives can begin with the
same character, or whose optional tail begins like the group itself, so that a run splits
between iterations in many ways: ``(a|aa)+`` (which Python reads as ``a(|a)``), ``(.|b)+``,
``(a.|ab)+``. Such patterns are refused before they match anything. The test is conservative:
alternatives that merely share a first character (after Python has factored common prefixes)
are refused even where the rest of the pattern would keep the match linear.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["compile_regex"]

# The stdlib's own pattern parser (``re._parser``): it has no stubs, hence imported by name.
_parser: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")
_REPEATS = {_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT}
_GROUPS = {_parser.SUBPATTERN, _parser.ATOMIC_GROUP}


class CatastrophicPattern(ValueError):
    """A pattern refused because it can backtrack exponentially; ``hint`` says how to rewrite it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def compile_regex(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``; CatastrophicPattern when it nests repetitions or repeats an
    ambiguous choice."""
    compiled = re.compile(pattern)
    parsed = _parser.parse(pattern, compiled.flags)
    if _nests_repeats(parsed):
        raise CatastrophicPattern(
            "it repeats a group that is itself one repetition, such as (a+)+ or (\\w+\\s?)*, "
            "which can take exponential time on text that does not match",
            "repeat the inner part once, e.g. `^a+$` for `^(a+)+$`, or separate the "
            "repetitions by something they cannot match, e.g. `^([a-z]+,)+$`",
        )
    if _repeats_ambiguous_choice(parsed, compiled.flags):
        raise CatastrophicPattern(
            "it repeats a group that can match the same text in more than one way, such as "
            "(a|aa)+ or (.|b)+, which can take exponential time on text that does not match",
            "let one repetition do the work, e.g. `^a+$` for `^(a|aa)+$`, or make the "
            "alternatives begin with different characters, e.g. `^(a|b)+$` for `^(.|b)+$`",
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


def _widths(item: tuple[Any, Any]) -> tuple[int, int]:
    """The least and the most characters ``item`` can match."""
    low, high = _parser.SubPattern(_parser.State(), [item]).getwidth()
    return int(low), int(high)


def _min_width(item: tuple[Any, Any]) -> int:
    return _widths(item)[0]


# Characters tried against each alternative's possible first character.
_PROBES = [chr(c) for c in range(256)] + ["\u0100", "\u0394", "\u4e2d", "\u2028", "\U0001f600"]
_SINGLE = {_parser.LITERAL, _parser.NOT_LITERAL, _parser.ANY, _parser.IN}
_ZERO_WIDTH = {_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT}


def _repeats_ambiguous_choice(items: Any, flags: int) -> bool:
    """Whether a variable repetition in ``items`` has a body that can match one text in two
    ways (see :func:`_ambiguous_body`)."""
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if _variable(op, low, high) and _ambiguous_body(_flattened(body), flags):
                return True
            if _repeats_ambiguous_choice(body, flags):
                return True
        elif any(_repeats_ambiguous_choice(b, flags) for b in _bodies(op, av)):
            return True
    return False


def _ambiguous_body(items: list[tuple[Any, Any]], flags: int) -> bool:
    """Whether one iteration of ``items`` can match a text in two ways: a required choice
    between alternatives that begin alike (``(a.|ab)``), or, after the first required part, an
    optional part that begins like the body itself, so the next iteration could match it
    instead (``(a|aa)``, which Python reads as ``a(|a)``)."""
    if any(
        op == _parser.BRANCH and _overlapping(av[1], flags)
        for op, av in items
        if _min_width((op, av)) > 0
    ):
        return True
    start = _first(items, flags)
    seen_required = False
    for item in items:
        if _min_width(item) > 0:
            seen_required = True
        elif seen_required and _widths(item)[1] > 0 and _first([item], flags) & start:
            return True
    return False


def _overlapping(alternatives: list[Any], flags: int) -> bool:
    firsts = [_first(list(alt), flags) for alt in alternatives]
    return any(a & b for i, a in enumerate(firsts) for b in firsts[i + 1 :])


def _first(items: list[tuple[Any, Any]], flags: int) -> frozenset[str]:
    """The probe characters a match of ``items`` can begin with (all of them when unknown)."""
    found: set[str] = set()
    for op, av in items:
        if op in _SINGLE:
            sub = _parser.SubPattern(_parser.State(), [(op, av)])
            sub.state.flags = flags
            single = _compiler.compile(sub, flags)
            return frozenset(found | {c for c in _PROBES if single.fullmatch(c)})
        if op in _ZERO_WIDTH:
            continue
        if op in _GROUPS:
            found |= _first(list(av[-1]), flags)
        elif op == _parser.BRANCH:
            for alt in av[1]:
                found |= _first(list(alt), flags)
        elif op in _REPEATS:
            found |= _first(list(av[2]), flags)
            if av[0] > 0:
                return frozenset(found)
            continue
        else:  # back-references, conditionals: anything may come
            return frozenset(_PROBES)
        if _min_width((op, av)) > 0:
            return frozenset(found)
    return frozenset(found)
