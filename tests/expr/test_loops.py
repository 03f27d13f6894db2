"""Quantifiers, comprehensions and `[*]` wildcards: expressions that reach every element."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_pytest.errors import (
    ExpressionEvalError,
    ExpressionSyntaxError,
    SourceLocation,
    UndefinedNameError,
)
from llm_pytest.expr import loops
from llm_pytest.expr.parse import LoopVariable, parse_expression, parse_template

LOC = SourceLocation("spec.yaml", 3, 12)

USERS = [
    {"id": 1, "email": "ann@example.com", "active": True, "tags": ["a", "b"]},
    {"id": 2, "email": "bob@example.com", "active": False, "tags": []},
    {"id": 3, "email": "cy.example.com", "active": True, "tags": ["c"]},
]
SCOPE: dict[str, Any] = {
    "result": {
        "users": USERS,
        "headers": {"a": "1", "b": "2"},
        "count": 3,
        "none": None,
        "grid": [[1, 2], [3], []],
    },
    "vars": {"domain": "example.com"},
}


def ev(text: str, scope: dict[str, Any] | None = None) -> Any:
    return parse_expression(text).evaluate(SCOPE if scope is None else scope)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('all(u.email matches "@" for u in result.users)', False),
        ('any(u.email matches "@" for u in result.users)', True),
        ('all(u.email matches "@" for u in result.users if u.active == false)', True),
        ("all(x > 0 for x in [])", True),
        ("any(x > 0 for x in [])", False),
        ("all(ends_with(u.email, vars.domain) for u in result.users)", True),
        ("not any(u.id > 3 for u in result.users)", True),
    ],
)
def test_all_and_any_quantify_over_every_element(text: str, value: bool) -> None:
    assert ev(text) is value


def test_all_and_any_stop_at_the_first_element_that_decides() -> None:
    assert ev("any(10 / x > 1 for x in [5, 0])") is True
    assert ev("all(10 / x > 5 for x in [5, 0])") is False


def test_all_and_any_of_a_plain_list_keep_working() -> None:
    assert ev("all([true, 1, 'x'])") is True
    assert ev("any([])") is False
    assert ev("all(true, false)") is False
    assert ev("all([u.active for u in result.users])") is False


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[u.id for u in result.users]", [1, 2, 3]),
        ("[u.id for u in result.users if u.active]", [1, 3]),
        ("[x * 2 for x in [1, 2, 3] if x != 2]", [2, 6]),
        ("[t for u in result.users for t in u.tags]", ["a", "b", "c"]),
        ("[[t for t in u.tags if t != 'a'] for u in result.users]", [["b"], [], ["c"]]),
        ("[x + y for x in [1, 2] for y in [10, 20] if x + y != 21]", [11, 12, 22]),
        ("len([u for u in result.users if 'a' in u.tags])", 1),
        ("[k for k in keys(result.headers)]", ["a", "b"]),
    ],
)
def test_list_comprehensions_map_filter_and_nest(text: str, value: Any) -> None:
    assert ev(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("sum(u.id for u in result.users)", 6),
        ("max(len(u.tags) for u in result.users)", 2),
        ("sorted(u.id for u in result.users if u.active)", [1, 3]),
        ("len(u for u in result.users if not u.active)", 1),
    ],
)
def test_a_loop_inside_a_call_is_the_call_s_one_list_argument(text: str, value: Any) -> None:
    assert ev(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("result.users[*].email", [u["email"] for u in USERS]),
        ("result.users[*].tags[0] ?? 'none'", "none"),
        ("result.users[*].tags[*]", ["a", "b", "c"]),
        ("result.grid[*][*]", [1, 2, 3]),
        ("result.grid[*]", [[1, 2], [3], []]),
        ("result.headers[*]", ["1", "2"]),
        ('result["users"][*]["id"]', [1, 2, 3]),
        ("[{'k': 1}, {'k': 2}][*].k", [1, 2]),
        ("len(result.users[*])", 3),
        ("result.users[*].id == [1, 2, 3]", True),
        ("result.none[*] ?? []", []),
    ],
)
def test_a_wildcard_reads_every_item_and_each_one_flattens_a_level(text: str, value: Any) -> None:
    assert ev(text) == value


def test_a_wildcard_names_the_item_that_lacks_the_field() -> None:
    text = "result.users[*].tags[1]"
    with pytest.raises(UndefinedNameError) as info:
        parse_expression(text, LOC).evaluate(SCOPE)
    assert "`result.users[1].tags[1]` is out of range (0 items)" in info.value.message
    assert info.value.location == LOC.shifted(text.index("[1]"))


def test_a_wildcard_of_something_that_has_no_items_names_its_type() -> None:
    with pytest.raises(ExpressionEvalError) as info:
        parse_expression("result.count[*]", LOC).evaluate(SCOPE)
    assert "`[*]` needs a list or a map, not int 3 (`result.count`)" in info.value.message
    assert info.value.location == LOC.shifted(12)


def test_parentheses_end_a_wildcard_path() -> None:
    with pytest.raises(ExpressionEvalError, match="is a list, not a map: it has no field `id`"):
        ev("(result.users[*]).id")


@pytest.mark.parametrize(
    ("iterable", "shown", "hint"),
    [
        ("result.count", "`for u in result.count` needs a list, not int 3", "over the items"),
        ("result.headers", "needs a list, not map", "keys(result.headers) or values("),
        ("vars.domain", 'needs a list, not string "example.com"', "not a list of characters"),
        ("result.none", "`for u in result.none` needs a list, not null", "`x ?? []`"),
    ],
)
def test_looping_over_a_non_list_names_the_value_s_type_and_where_it_is(
    iterable: str, shown: str, hint: str
) -> None:
    text = f"[u for u in {iterable}]"
    with pytest.raises(ExpressionEvalError) as info:
        parse_expression(text, LOC).evaluate(SCOPE)
    assert shown in info.value.message
    assert hint in (info.value.hint or "")
    assert info.value.location == LOC.shifted(text.index(iterable))


def test_a_loop_over_null_can_fall_back_to_an_empty_list() -> None:
    assert ev("all(u.ok for u in result.none ?? [])") is True


def test_an_error_inside_a_loop_points_at_its_place() -> None:
    text = "all(u.mail matches '@' for u in result.users)"
    with pytest.raises(UndefinedNameError) as info:
        parse_expression(text, LOC).evaluate(SCOPE)
    assert "`u` has no field `mail`" in info.value.message
    assert info.value.hint == "did you mean `email`?"
    assert info.value.location == LOC.shifted(4)


def test_the_loop_variable_is_bound_only_inside_its_comprehension() -> None:
    expression = parse_expression("[u.id for u in result.users] == u.ids")
    assert [r.text for r in expression.references()] == ["result.users", "u.ids"]
    assert expression.loop_variables() == (LoopVariable("u", 10),)
    with pytest.raises(UndefinedNameError, match="`u` is not defined"):
        expression.evaluate(SCOPE)


def test_a_later_loop_and_the_condition_see_the_earlier_loop_variables() -> None:
    expression = parse_expression("[t for u in result.users if u.active for t in u.tags if t]")
    assert [r.text for r in expression.references()] == ["result.users"]
    first = parse_expression("[u for u in u.tags]")
    assert [r.text for r in first.references()] == ["u.tags"]


def test_a_failed_all_describes_the_data_and_its_first_failing_item() -> None:
    expression = parse_expression('all(u.email matches "@" for u in result.users)')
    described = expression.describe_values(SCOPE)
    assert [text for text, _ in described] == ["result.users", "u = result.users[2]"]
    assert described[1][1] == json.dumps(USERS[2], separators=(",", ":"))


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        ("all(x > 0 for x in [3, 0, -1])", [("x = item 1 of the list", "0")]),
        ("all(x > 0 for x in [3, -1] if x < 3)", [("x = item 1 of the list", "-1")]),
        ("all(x > 0 for x in [3])", []),
        ("any(x > 5 for x in [3])", []),
        ("all(x > 0 for r in [[1]] for x in r)", []),
        ("all(x.nope for x in [1])", []),
        ("[all(y for y in [0]) for x in [1]] == []", []),
    ],
)
def test_only_a_false_all_of_one_loop_names_its_first_failing_item(
    text: str, extra: list[tuple[str, str]]
) -> None:
    assert parse_expression(text).describe_values({}) == extra


@pytest.mark.parametrize(
    ("text", "message", "column", "hint"),
    [
        ("[x for x in [1] for x in [2]]", "the loop variable `x` is already bound", 21, "own name"),
        ("[[x for x in r] for x in rs]", "the loop variable `x` is already bound", 9, "own name"),
        ("[x for 1 in xs]", "unexpected `1` at column 8", 8, "expected a loop variable name"),
        ("all(x for)", "unexpected `)` at column 10", 10, "expected a loop variable name"),
        ("[x for x xs]", "unexpected `xs` at column 10", 10, "expected `in`"),
        ("[x for in in xs]", "`in` is a keyword, not a name", 8, "name the loop variable"),
        ("[x for x in xs if a if b]", "unexpected `if` at column 21", 21, None),
        ("all(x for x in xs, 1)", "unexpected `,` at column 18", 18, "expected `)`"),
        ("contains(x for x in xs)", "`contains` takes 2 arguments, not 1", 1, "contains("),
        ("a[*", "unexpected end of the expression at column 4", 4, "expected `]`"),
        ("a[**]", "unexpected `*` at column 4", 4, None),
        ("for > 1", "`for` is a keyword, not a name", 1, None),
    ],
)
def test_loop_syntax_errors_point_at_the_column(
    text: str, message: str, column: int, hint: str | None
) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text, LOC)
    assert message in info.value.message
    assert info.value.location == LOC.shifted(column - 1)
    if hint is not None:
        assert hint in (info.value.hint or "")


def test_an_expression_that_loops_over_too_many_elements_stops_with_a_clear_error() -> None:
    big = {"xs": [0] * (loops.MAX_VISITS + 1)}
    with pytest.raises(ExpressionEvalError) as info:
        parse_expression("[x for x in xs]", LOC).evaluate(big)
    assert "loops over more than 1,000,000 list elements" in info.value.message
    assert info.value.location == LOC


def test_nested_loops_count_every_element_they_visit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loops, "MAX_VISITS", 100)
    scope = {"xs": list(range(9))}
    assert len(ev("[a + b for a in xs for b in xs]", scope)) == 81
    with pytest.raises(ExpressionEvalError, match="more than 100 list elements"):
        ev("[[a for a in xs] for b in xs for c in xs]", scope)
    with pytest.raises(ExpressionEvalError, match="more than 100 list elements"):
        ev("any(x[*] == [] for x in [xs, xs, xs, xs, xs, xs, xs, xs, xs, xs, xs, xs])", scope)


def test_the_budget_is_shared_by_one_evaluation_and_renewed_for_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loops, "MAX_VISITS", 100)
    scope = {"xs": list(range(60))}
    once = parse_expression("len([x for x in xs])")
    assert [once.evaluate(scope), once.evaluate(scope)] == [60, 60]
    with pytest.raises(ExpressionEvalError, match="more than 100 list elements"):
        ev("len([x for x in xs]) + len(xs[*])", scope)
    template = parse_template("${len(xs[*])} and ${len([x for x in xs])}")
    assert template.render(scope) == "60 and 60"


def test_loops_work_inside_templates() -> None:
    template = parse_template("ids: ${[u.id for u in result.users if u.active]}")
    assert template.render(SCOPE) == "ids: [1,3]"
    assert parse_template("${result.users[*].id}").render(SCOPE) == [1, 2, 3]
    assert [r.text for r in template.references()] == ["result.users"]
