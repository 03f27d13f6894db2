"""What every operator and function of the expression language does, in words.

The generated reference (``llm-pytest docs reference``) prints these tables; a test keeps
:data:`FUNCTION_DOCS` in step with :data:`~llm_pytest.expr.functions.FUNCTIONS` and
:data:`OPERATORS` with the terminals of ``grammar.lark``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FUNCTION_DOCS", "OPERATORS", "Operator"]


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator (or a group binding equally tight): how it is written and what it does."""

    symbols: tuple[str, ...]
    example: str
    meaning: str


OPERATORS: tuple[Operator, ...] = (
    Operator(
        ("or",),
        "a or b",
        "True when either side is true; `b` is not evaluated when `a` is true.",
    ),
    Operator(
        ("and",),
        "a and b",
        "True when both sides are true; `b` is not evaluated when `a` is false.",
    ),
    Operator(("not",), "not a", "True when `a` is false."),
    Operator(
        ("==", "!=", "<", "<=", ">", ">="),
        "result.status == 200",
        "Comparisons. Numbers compare by value (`1 == 1.0`), booleans equal only booleans, "
        "lists and maps compare element by element; numbers and strings do not order against "
        "each other. Comparisons do not chain: `a < b < c` does not parse.",
    ),
    Operator(
        ("in", "not in"),
        '"admin" in user.roles',
        "Membership: an item of a list, a key of a map, or a substring of a string.",
    ),
    Operator(
        ("matches",),
        'result.email matches "@example\\\\.com$"',
        "A regular expression (Python `re` syntax, right side a string) searched for in the "
        "text on the left.",
    ),
    Operator(
        ("+", "-"),
        "a + b",
        "Addition and subtraction of numbers; `+` also joins two strings or two lists.",
    ),
    Operator(
        ("*", "/", "%"),
        "a * b",
        "Multiplication, division (always exact: `7 / 2` is 3.5) and remainder.",
    ),
    Operator(("-",), "-a", "Negation (unary minus)."),
    Operator(
        ("??",),
        "user.nickname ?? user.name",
        "The left side when it is defined and not null, else the right side; a missing "
        "field on the left is not an error.",
    ),
    Operator(
        (".", "[]", "[*]", "()"),
        "users[0].name, users[*].id, len(users)",
        "Postfix: a field, an index (negative counts from the end, a string indexes a map), "
        "every element (`xs[*].f` is the list of `f` of each element), a function call.",
    ),
)
"""The operators, loosest binding first; the symbols of one entry bind equally tight."""

FUNCTION_DOCS: dict[str, str] = {
    "len": "The length of a string, a list or a map.",
    "str": "A value as text: a string as it is, anything else as its JSON.",
    "int": "A whole number from a number (cut towards zero), a boolean or numeric text.",
    "float": "A number from a number, a boolean or numeric text.",
    "bool": 'Truth as a word: false for "", "0", "false", "no", "off", "null"; else as in '
    "Python (empty lists and maps are false).",
    "lower": "The text in lower case.",
    "upper": "The text in upper case.",
    "keys": "The keys of a map, as a list.",
    "values": "The values of a map, as a list.",
    "abs": "The absolute value of a number.",
    "min": "The smallest of a list (or of the arguments): all numbers or all strings.",
    "max": "The largest of a list (or of the arguments): all numbers or all strings.",
    "sum": "The sum of a list of numbers (or of the arguments).",
    "any": "Whether any element is true; `any(x > 0 for x in xs)` ranges over a list.",
    "all": "Whether every element is true; `all(x > 0 for x in xs)` ranges over a list.",
    "sorted": "A list sorted ascending: all numbers or all strings.",
    "unique": "A list without repeated elements, in the order they first appear.",
    "contains": "Whether the container (a list, a map's keys, a string) holds the item.",
    "starts_with": "Whether the text starts with the prefix.",
    "ends_with": "Whether the text ends with the suffix.",
    "json": "A value serialised as JSON text.",
    "uuid": "A new random UUID, as 32 hex digits.",
    "now": "The current UTC time as ISO-8601 text with milliseconds, ending in `Z`.",
}
"""What each function returns, by name (every name of ``FUNCTIONS``)."""
