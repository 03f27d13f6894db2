"""The fixed list of functions an expression may call (docs/language.md section 5).

A call of a name that is not here, or with the wrong number of arguments, is refused when the
expression is parsed; type problems are found when it runs and raise :class:`EvalFailure`.
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from llm_pytest.expr.evaluate import (
    EvalFailure,
    contains,
    equal,
    is_number,
    render_text,
    short,
    to_json,
    typed,
)

__all__ = ["FUNCTIONS", "Function"]

_FALSE_WORDS = frozenset({"", "0", "false", "no", "off", "null"})


@dataclass(frozen=True, slots=True)
class Function:
    """One callable function: its name, how many arguments it takes and what it does."""

    name: str
    usage: str  # how it is called, for messages: "len(x)"
    min_args: int
    max_args: int | None  # None: any number
    impl: Callable[..., Any]

    def arity_problem(self, count: int) -> str | None:
        """Why ``count`` arguments do not fit, or None when they do."""
        if self.min_args <= count and (self.max_args is None or count <= self.max_args):
            return None
        if self.max_args is None:
            wanted = f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
        elif self.min_args == self.max_args:
            n = self.min_args
            wanted = "no arguments" if n == 0 else f"{n} argument{'s' if n != 1 else ''}"
        else:
            wanted = f"{self.min_args} to {self.max_args} arguments"
        return f"`{self.name}` takes {wanted}, not {count}"

    def __call__(self, *args: Any) -> Any:
        return self.impl(*args)


def _bad(function: str, value: Any, wanted: str, hint: str | None = None) -> EvalFailure:
    return EvalFailure(
        f"`{function}` needs {wanted}, not {typed(value)}",
        hint or f"check the value passed to `{function}`",
    )


def _len(x: Any) -> int:
    if isinstance(x, str | list | tuple | Mapping):
        return len(x)
    raise _bad("len", x, "a string, a list or a map")


def _int(x: Any) -> int:
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise _bad("int", x, "a finite number")
        return int(x)
    if isinstance(x, int):
        return x
    if isinstance(x, str):
        try:
            return int(x.strip())
        except ValueError:
            pass
        raise EvalFailure(
            f"`int` cannot read a whole number from {short(x)}",
            'use float(x) for text like "2.5"',
        )
    raise _bad("int", x, "a number or a string")


def _float(x: Any) -> float:
    if isinstance(x, bool | int | float):
        try:
            return float(x)
        except OverflowError:
            raise _bad("float", x, "a number that fits a float") from None
    if isinstance(x, str):
        try:
            return float(x.strip())
        except ValueError:
            raise EvalFailure(f"`float` cannot read a number from {short(x)}", None) from None
    raise _bad("float", x, "a number or a string")


def _bool(x: Any) -> bool:
    # Text is read as a word, so bool(env.FLAG) is false for "false", "0", "no", "off".
    if isinstance(x, str):
        return x.strip().lower() not in _FALSE_WORDS
    return bool(x)


def _text_fn(name: str, fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        if not isinstance(x, str):
            raise _bad(name, x, "a string", "use str(x) to turn a value into text")
        return fn(x)

    return apply


def _text_pair(name: str, fn: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def apply(x: Any, y: Any) -> bool:
        if not isinstance(x, str):
            raise _bad(name, x, "a string as its first argument", "use str(x) to get text")
        if not isinstance(y, str):
            raise _bad(name, y, "a string as its second argument", "use str(x) to get text")
        return fn(x, y)

    return apply


def _mapping_fn(name: str, fn: Callable[[Mapping[Any, Any]], list[Any]]) -> Callable[[Any], Any]:
    def apply(x: Any) -> list[Any]:
        if not isinstance(x, Mapping):
            raise _bad(name, x, "a map")
        return fn(x)

    return apply


def _abs(x: Any) -> Any:
    if not is_number(x):
        raise _bad("abs", x, "a number")
    return abs(x)


def _spread(name: str, args: tuple[Any, ...]) -> list[Any]:
    """The values of ``f([a, b])`` or ``f(a, b)``."""
    if len(args) == 1:
        if isinstance(args[0], list | tuple):
            return list(args[0])
        raise _bad(name, args[0], "a list (or several values)")
    return list(args)


def _numbers(name: str, values: list[Any]) -> list[Any]:
    for v in values:
        if not is_number(v):
            raise _bad(name, v, "numbers", "use int(x) or float(x) to read numbers from text")
    return values


def _comparable(name: str, values: list[Any]) -> list[Any]:
    if all(is_number(v) for v in values) or all(isinstance(v, str) for v in values):
        return values
    for v in values:
        if not (is_number(v) or isinstance(v, str)):
            raise _bad(name, v, "numbers or strings")
    raise EvalFailure(
        f"`{name}` cannot compare numbers with strings",
        "convert the values first, e.g. with int(x) or str(x)",
    )


def _extreme(name: str, pick: Callable[[list[Any]], Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        values = _comparable(name, _spread(name, args))
        if not values:
            raise EvalFailure(f"`{name}` of an empty list has no value", "check `len(x) > 0` first")
        return pick(values)

    return apply


def _sum(*args: Any) -> Any:
    return sum(_numbers("sum", _spread("sum", args)))


def _any(*args: Any) -> bool:
    return any(_spread("any", args))


def _all(*args: Any) -> bool:
    return all(_spread("all", args))


def _sorted(x: Any) -> list[Any]:
    if not isinstance(x, list | tuple):
        raise _bad("sorted", x, "a list")
    return sorted(_comparable("sorted", list(x)))


def _unique(x: Any) -> list[Any]:
    if not isinstance(x, list | tuple):
        raise _bad("unique", x, "a list")
    kept: list[Any] = []
    for item in x:
        if not any(equal(item, seen) for seen in kept):
            kept.append(item)
    return kept


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _table(*functions: Function) -> dict[str, Function]:
    return {f.name: f for f in functions}


FUNCTIONS: dict[str, Function] = _table(
    Function("len", "len(x)", 1, 1, _len),
    Function("str", "str(x)", 1, 1, render_text),
    Function("int", "int(x)", 1, 1, _int),
    Function("float", "float(x)", 1, 1, _float),
    Function("bool", "bool(x)", 1, 1, _bool),
    Function("lower", "lower(text)", 1, 1, _text_fn("lower", str.lower)),
    Function("upper", "upper(text)", 1, 1, _text_fn("upper", str.upper)),
    Function("keys", "keys(map)", 1, 1, _mapping_fn("keys", lambda m: list(m.keys()))),
    Function("values", "values(map)", 1, 1, _mapping_fn("values", lambda m: list(m.values()))),
    Function("abs", "abs(n)", 1, 1, _abs),
    Function("min", "min(list) or min(a, b, ...)", 1, None, _extreme("min", min)),
    Function("max", "max(list) or max(a, b, ...)", 1, None, _extreme("max", max)),
    Function("sum", "sum(list) or sum(a, b, ...)", 1, None, _sum),
    Function("any", "any(list) or any(a, b, ...)", 1, None, _any),
    Function("all", "all(list) or all(a, b, ...)", 1, None, _all),
    Function("sorted", "sorted(list)", 1, 1, _sorted),
    Function("unique", "unique(list)", 1, 1, _unique),
    Function("contains", "contains(container, item)", 2, 2, contains),
    Function(
        "starts_with", "starts_with(text, prefix)", 2, 2, _text_pair("starts_with", str.startswith)
    ),
    Function("ends_with", "ends_with(text, suffix)", 2, 2, _text_pair("ends_with", str.endswith)),
    Function("json", "json(x)", 1, 1, to_json),
    Function("uuid", "uuid()", 0, 0, lambda: _uuid.uuid4().hex),
    Function("now", "now()", 0, 0, _now),
)
"""Every function an expression can call, by name."""
