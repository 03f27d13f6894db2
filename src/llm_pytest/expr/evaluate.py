"""What the operators of the expression language do to values.

Values are JSON-like data: ``None``, ``bool``, ``int``, ``float``, ``str``, lists and mappings.
Booleans are not numbers here (``true + 1`` and ``1 == true`` are a type error and false), so
a check never passes by accident of Python's ``bool`` being an ``int``.

Failures raise :class:`EvalFailure`; the :class:`~llm_pytest.expr.parse.Expression` that owns the
failing node turns it into a located :class:`~llm_pytest.errors.ExpressionEvalError`.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from llm_pytest.errors import closest
from llm_pytest.expr.regex import CatastrophicPattern, compile_regex

__all__ = [
    "OPERATORS",
    "EvalFailure",
    "Subject",
    "attribute_of",
    "contains",
    "equal",
    "field_of",
    "index_of",
    "is_number",
    "is_python_object",
    "render_text",
    "short",
    "to_json",
    "type_name",
    "typed",
]

_NULL_HINT = "use `x ?? default` to replace a missing or null value"
_LIST_LIMIT = 15


class EvalFailure(Exception):
    """An evaluation problem; ``offset`` (into the parsed text) is filled in by the node."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        detail: str = "",
        offset: int | None = None,
        undefined: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail  # goes after the quoted expression: "... in `${x}`; detail"
        self.offset = offset
        self.undefined = undefined  # a missing name, field or index: `??` falls back

    def at(self, offset: int) -> EvalFailure:
        """This failure, placed at ``offset`` unless an inner node placed it already."""
        if self.offset is None:
            self.offset = offset
        return self


def type_name(value: Any) -> str:
    """The name users know a value's type by: null, bool, int, float, string, list, map."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_json(value: Any) -> str:
    """Compact JSON; values that JSON cannot hold are written as their ``str``."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    except (ValueError, RecursionError) as exc:  # circular data, integers of 5000 digits
        raise EvalFailure(f"cannot write {type_name(value)} as text: {exc}") from None


def render_text(value: Any) -> str:
    """How a value is written into a string: text as is, a path as its text, a Python object
    (a fixture's value) as its ``str``, JSON spelling for everything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fsdecode(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        try:
            return str(value)
        except ValueError as exc:  # an integer of thousands of digits
            raise EvalFailure(f"cannot write the number as text: {exc}") from None
    if is_python_object(value):
        return str(value)
    return to_json(value)


def short(value: Any, limit: int = 40) -> str:
    """A value as it appears in a message: JSON spelling, cut to ``limit`` characters."""
    try:
        text = to_json(value)
    except (EvalFailure, TypeError):
        text = f"<{type_name(value)}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def typed(value: Any) -> str:
    """A value with its type for a message: ``int 5``, ``string "a"``, ``null``."""
    return "null" if value is None else f"{type_name(value)} {short(value)}"


def equal(a: Any, b: Any) -> bool:
    """``==``: numbers compare by value, booleans only equal booleans, containers deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return bool(a == b)


def contains(container: Any, item: Any) -> bool:
    """``item in container`` for a substring, a list item or a map key."""
    if isinstance(container, str):
        if not isinstance(item, str):
            raise EvalFailure(
                f"cannot look for {typed(item)} in a string",
                "only text can be found in text; use str(x) to turn the value into text",
            )
        return item in container
    if isinstance(container, list | tuple):
        return any(equal(item, x) for x in container)
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    raise EvalFailure(
        f"cannot look inside {typed(container)} with `in`",
        "`in` works on a string, a list or a map",
    )


def _type_error(op: str, a: Any, b: Any, hint: str) -> EvalFailure:
    if a is None or b is None:
        hint = _NULL_HINT
    return EvalFailure(f"cannot apply `{op}` to {typed(a)} and {typed(b)}", hint)


def _add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return [*a, *b]
    if isinstance(a, str) or isinstance(b, str):
        hint = 'use str(x) to join text and numbers, e.g. "id-" + str(n)'
    else:
        hint = "`+` adds two numbers, joins two strings or joins two lists"
    raise _type_error("+", a, b, hint)


def _numeric(op: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if not (is_number(a) and is_number(b)):
            hint = f"`{op}` works on numbers; use int(x) or float(x) to read a number from text"
            raise _type_error(op, a, b, hint)
        if op in "/%" and b == 0:
            raise EvalFailure(
                f"cannot divide {short(a)} by zero (`{op}`)",
                "guard the division, e.g. `b != 0 and a / b > 1`",
            )
        try:
            return fn(a, b)
        except OverflowError:
            raise EvalFailure(f"the result of `{op}` is too large", None) from None

    return apply


def _ordering(op: str, fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(a: Any, b: Any) -> bool:
        if (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return fn(a, b)
        hint = (
            "compare two numbers or two strings; convert one side with int(x), float(x) or str(x)"
        )
        raise _type_error(op, a, b, hint)

    return apply


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return compile_regex(pattern)


def _matches(text: Any, pattern: Any) -> bool:
    if not isinstance(pattern, str):
        raise EvalFailure(
            f"the right side of `matches` must be a string, not {typed(pattern)}",
            'write the regular expression as a string, e.g. `x matches "^[0-9]+$"`',
        )
    if not isinstance(text, str):
        hint = _NULL_HINT if text is None else "use str(x) to match the text of a value"
        raise EvalFailure(f"`matches` needs a string on its left, not {typed(text)}", hint)
    try:
        regex = _regex(pattern)
    except CatastrophicPattern as exc:
        raise EvalFailure(
            f"refused regular expression {short(pattern, 60)}: {exc}", exc.hint
        ) from None
    except (re.error, RecursionError, OverflowError) as exc:
        raise EvalFailure(
            f"invalid regular expression {short(pattern, 60)}: {exc}",
            "the right side of `matches` is a Python regular expression (re.search)",
        ) from None
    return regex.search(text) is not None


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _numeric("-", lambda a, b: a - b),
    "*": _numeric("*", lambda a, b: a * b),
    "/": _numeric("/", lambda a, b: a / b),
    "%": _numeric("%", lambda a, b: a % b),
    "==": equal,
    "!=": lambda a, b: not equal(a, b),
    "<": _ordering("<", lambda a, b: a < b),
    "<=": _ordering("<=", lambda a, b: a <= b),
    ">": _ordering(">", lambda a, b: a > b),
    ">=": _ordering(">=", lambda a, b: a >= b),
    "in": lambda a, b: contains(b, a),
    "not in": lambda a, b: not contains(b, a),
    "matches": _matches,
}
"""The binary operators (``and``, ``or`` and ``??`` short-circuit, so they are nodes)."""


def _names(keys: Any) -> str:
    names = [str(k) for k in keys]
    more = ", ..." if len(names) > _LIST_LIMIT else ""
    return ", ".join(names[:_LIST_LIMIT]) + more


Subject = Callable[[], str] | None
"""Gives the source text of the value being read (``new_user.items``), or None if it has none."""


def _named(subject: Subject, value: Any) -> str:
    code = subject() if subject is not None else None
    if code is not None:
        return f"`{code}`"
    return "the value" if value is None else short(value)


_DATA_TYPES = (str, int, float, bool, list, tuple, type(None))


def is_python_object(value: Any) -> bool:
    """Whether ``value`` is an object of a program (a fixture's value), not JSON-like data."""
    return not isinstance(value, (*_DATA_TYPES, Mapping))


def field_of(value: Any, name: str, subject: Subject) -> Any:
    """``value.name`` (also ``value["name"]``) of a map, or a public data attribute of a Python
    object (such as a pytest fixture's value)."""
    if isinstance(value, Mapping):
        try:
            return value[name]
        except KeyError:
            pass
        keys = [k for k in value if isinstance(k, str)]
        guess = closest(name, keys)
        fields = f"fields: {_names(keys)}" if keys else "it is an empty map"
        raise EvalFailure(
            f"{_named(subject, value)} has no field `{name}` ({fields})",
            f"did you mean `{guess}`?"
            if guess
            else "use `x.field ?? default` for an optional field",
            undefined=True,
        )
    if is_python_object(value) or (isinstance(value, tuple) and hasattr(value, "_fields")):
        return attribute_of(value, name, subject)
    if value is None:
        raise EvalFailure(
            f"{_named(subject, value)} is null, so it has no field `{name}`",
            _NULL_HINT,
            undefined=True,
        )
    is_list = isinstance(value, list | tuple)
    raise EvalFailure(
        f"{_named(subject, value)} is a {type_name(value)}, not a map: it has no field `{name}`",
        "read the items of a list with an index, e.g. x[0]" if is_list else "only maps have fields",
    )


def attribute_of(value: Any, name: str, subject: Subject) -> Any:
    """A public data attribute of a Python object: an instance or class attribute, a dataclass
    field, a property (its getter runs, as reading it in Python would). Names starting with
    ``_`` and methods are refused: expressions read data, they never call code by name."""
    what = _named_object(subject, value)
    if name.startswith("_"):
        raise EvalFailure(
            f"{what} has the attribute `{name}`, but attributes starting with `_` cannot be read",
            "read a public attribute, or have the fixture return the value you need",
        )
    try:
        inspect.getattr_static(value, name)
    except AttributeError:
        known = _public_data(value)
        guess = closest(name, known)
        listed = f"attributes: {_names(known)}" if known else "it has no public data attributes"
        raise EvalFailure(
            f"{what} has no attribute `{name}` ({listed})",
            f"did you mean `{guess}`?"
            if guess
            else "use `x.attribute ?? default` for an optional attribute",
            undefined=True,
        ) from None
    try:
        found = getattr(value, name)
    except Exception as exc:  # a property that raised
        raise EvalFailure(
            f"reading the attribute `{name}` of {what} raised {type(exc).__name__}: {exc}"
        ) from None
    if callable(found):
        raise EvalFailure(
            f"`{name}` of {what} is a method or a class, which expressions cannot call or read",
            "read a data attribute, or have the fixture return the value itself "
            "(a string, a number, a dict)",
        )
    return found


def _named_object(subject: Subject, value: Any) -> str:
    code = subject() if subject is not None else None
    kind = type(value).__name__
    return f"`{code}` (a {kind})" if code is not None else f"a {kind}"


def _public_data(value: Any) -> list[str]:
    """The public attribute names of ``value`` that hold data (not methods)."""
    out: list[str] = []
    try:
        names = dir(value)
    except Exception:
        return out
    for name in names:
        if name.startswith("_"):
            continue
        try:
            static = inspect.getattr_static(value, name)
        except AttributeError:
            continue
        data = isinstance(static, property | functools.cached_property) or not callable(static)
        if data and not isinstance(static, staticmethod | classmethod):
            out.append(name)
    return out


def index_of(value: Any, index: Any, subject: Subject) -> Any:
    """``value[index]``: a list or string item (negative counts from the end) or a map key."""
    if isinstance(index, str):
        return field_of(value, index, subject)
    if isinstance(value, list | tuple | str):
        if isinstance(index, bool) or not isinstance(index, int):
            raise EvalFailure(
                f"cannot index {_named(subject, value)} with {typed(index)}",
                "a list index is a whole number; use int(x) to convert it",
            )
        try:
            return value[index]
        except IndexError:
            code = subject() if subject is not None else None
            what = f"`{code}[{index}]`" if code is not None else f"index {index}"
            unit = "characters" if isinstance(value, str) else "items"
            raise EvalFailure(
                f"{what} is out of range ({len(value)} {unit})",
                "count from 0, or from -1 for the last item; "
                "use `x[i] ?? default` when the item may be missing",
                undefined=True,
            ) from None
    if value is None:
        raise EvalFailure(
            f"{_named(subject, value)} is null, so it has no item [{short(index)}]",
            _NULL_HINT,
            undefined=True,
        )
    if isinstance(value, Mapping):
        raise EvalFailure(
            f"cannot index {_named(subject, value)} with {typed(index)}",
            'it is a map, and the keys of a map are strings, e.g. x["key"]',
        )
    raise EvalFailure(
        f"{_named(subject, value)} is a {type_name(value)}, which cannot be indexed",
        "only lists, strings and maps can be indexed",
    )
