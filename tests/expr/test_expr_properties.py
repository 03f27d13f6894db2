"""Properties of the expression language over generated input."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_pytest.errors import (
    ExpressionError,
    ExpressionEvalError,
    ExpressionSyntaxError,
    SourceLocation,
)
from llm_pytest.expr import loops
from llm_pytest.expr.functions import FUNCTIONS
from llm_pytest.expr.parse import (
    Expression,
    has_interpolation,
    parse_expression,
    parse_template,
)

SETTINGS = settings(max_examples=200, deadline=None)

SCOPE: dict[str, Any] = {
    "a": 3,
    "b": -1.5,
    "text": "héllo }{ ${x}",
    "items": [1, "two", None, [3], {"k": True}],
    "user": {"id": 42, "name": "Ann", "tags": ["x"], "empty": {}},
    "nothing": None,
    "flag": False,
}

GRAMMAR_CHARS = [*list("abnotuix_019 .,:()[]{}\"'\\$+-*/%<>=!?&|\n"), "${", "$${", "??", "=="]
GRAMMAR_CHARS += [" for ", " in ", " if ", "[*]", "all(", "v"]
noisy_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(GRAMMAR_CHARS), max_size=30).map("".join),
)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


LOOP_NAMES = ["v", "w"]
names = st.sampled_from([*SCOPE, "missing", *LOOP_NAMES])
steps = st.lists(
    st.one_of(
        st.sampled_from(["id", "name", "tags", "k", "empty", "in"]).map(lambda n: "." + n),
        st.integers(-6, 6).map(lambda i: f"[{i}]"),
        st.sampled_from(["id", "key with spaces"]).map(lambda k: f'["{k}"]'),
    ),
    max_size=3,
)
paths = st.builds(lambda name, rest: name + "".join(rest), names, steps)

leaves = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.sampled_from(["true", "false", "null", "[]", "{}"]),
    paths,
)
BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "and", "or"]
BINARY += ["??", "matches"]


def call(function: str, children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    spec = FUNCTIONS[function]
    most = spec.max_args if spec.max_args is not None else spec.min_args + 2
    return st.lists(children, min_size=spec.min_args, max_size=most).map(
        lambda args: f"{function}({', '.join(args)})"
    )


def compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda c: f"(not {c})"),
        children.map(lambda c: f"(-{c})"),
        st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.text(max_size=4), children, max_size=3).map(
            lambda d: "{" + ", ".join(f"{quote(k)}: {v}" for k, v in d.items()) + "}"
        ),
        st.tuples(children, st.sampled_from([".id", "[0]", "[-1]", '["k"]'])).map(
            lambda t: f"({t[0]}){t[1]}"
        ),
        st.sampled_from(sorted(FUNCTIONS)).flatmap(lambda name: call(name, children)),
        st.tuples(
            st.sampled_from(["[", "all(", "any(", "sum("]),
            children,
            st.sampled_from(LOOP_NAMES),
            st.one_of(st.sampled_from(["items", "user.tags", "[1, [2]]", *LOOP_NAMES]), children),
            st.one_of(st.just(""), children.map(lambda c: f" if {c}")),
        ).map(lambda t: f"{t[0]}{t[1]} for {t[2]} in {t[3]}{t[4]}{']' if t[0] == '[' else ')'}"),
        st.tuples(children, st.sampled_from(["[*]", "[*].id", "[*][0]", "[*][*]"])).map(
            lambda t: f"({t[0]}){t[1]}"
        ),
    )


expressions = st.recursive(leaves, compound, max_leaves=12)


def parse_generated(text: str) -> Expression | None:
    """The parsed expression, or None when generated loops nest with the same variable."""
    try:
        return parse_expression(text)
    except ExpressionSyntaxError as exc:
        if "is already bound here" not in exc.message:
            raise
        return None


@SETTINGS
@given(noisy_text)
def test_any_text_raises_only_expression_errors(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse_expression(text).evaluate(SCOPE)
    with contextlib.suppress(ExpressionError):
        parse_template(text).render(SCOPE)


@SETTINGS
@given(expressions)
def test_well_formed_expressions_parse_and_evaluate_or_raise_our_errors(text: str) -> None:
    expression = parse_generated(text)
    if expression is None:
        return
    with contextlib.suppress(ExpressionError):
        expression.evaluate(SCOPE)
    described = [text for text, _ in expression.describe_values(SCOPE)]
    read = list(dict.fromkeys(r.text for r in expression.references()))
    assert described[: len(read)] == read
    assert all(" = " in text for text in described[len(read) :])  # an `all`'s failing item
    for ref in expression.references():
        assert text[ref.offset : ref.offset + len(ref.text)] == ref.text


@SETTINGS
@given(expressions)
def test_expressions_inside_templates_behave_like_bare_expressions(text: str) -> None:
    def outcome(run: Any) -> Any:
        try:
            value = run()
        except ExpressionError as exc:
            return type(exc)
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    bare = parse_generated(text)
    if bare is None:
        return
    template = parse_template("${" + text + "}")
    if "uuid()" in text or "now()" in text:
        return
    assert outcome(lambda: template.render(SCOPE)) == outcome(lambda: bare.evaluate(SCOPE))
    assert [r.text for r in template.references()] == [r.text for r in bare.references()]


@SETTINGS
@given(st.text(max_size=60))
def test_literal_templates_round_trip(text: str) -> None:
    escaped = text.replace("${", "$${")
    template = parse_template(escaped)
    assert template.is_literal
    assert not has_interpolation(escaped)
    assert template.render({}) == text


@SETTINGS
@given(noisy_text)
def test_has_interpolation_agrees_with_the_parser(text: str) -> None:
    try:
        template = parse_template(text)
    except ExpressionSyntaxError:
        assert has_interpolation(text)
        return
    assert has_interpolation(text) is not template.is_literal


@SETTINGS
@given(st.text(max_size=30))
def test_string_literals_round_trip(text: str) -> None:
    assert parse_expression(quote(text)).evaluate({}) == text


@SETTINGS
@given(paths)
def test_simple_paths_read_like_parsed_paths(path: str) -> None:
    def outcome(run: Any) -> Any:
        try:
            return run()
        except ExpressionError as exc:
            return type(exc)

    fast = parse_template("<${" + path + "}>")
    slow = parse_template("<${" + path + "}>${1}")
    assert outcome(lambda: fast.render(SCOPE) + "1") == outcome(lambda: slow.render(SCOPE))
    assert fast.references() == slow.references()


comparison_operands = st.one_of(
    paths,
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["1.5", "-2.0", "1e3", "3E-2", "007", "true", "false", "null", "'two'"]),
    st.text(alphabet="ab }{$", max_size=4).map(lambda s: f'"{s}"'),
)
comparison_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "matches"])
spaces = st.sampled_from(["", " ", "  "])


@SETTINGS
@given(paths, spaces, comparison_ops, spaces, comparison_operands)
def test_simple_comparisons_read_like_parsed_comparisons(
    path: str, before: str, op: str, after: str, operand: str
) -> None:
    if op[0].isalpha():
        before, after = before or " ", after or " "
    text = f"{path}{before}{op}{after}{operand}"

    def outcome(source: str, column: int) -> Any:
        try:
            return parse_expression(source, SourceLocation("s.yaml", 1, column)).evaluate(SCOPE)
        except ExpressionError as exc:
            return type(exc), exc.location

    assert outcome(text, 2) == outcome(f"({text})", 1)
    fast = parse_expression(text).references()
    slow = parse_expression(f"({text})").references()
    assert [(r.root, r.path, r.text, r.offset + 1) for r in fast] == [
        (r.root, r.path, r.text, r.offset) for r in slow
    ]


@SETTINGS
@given(st.lists(st.integers(0, 12), min_size=1, max_size=4), st.integers(0, 400))
def test_nested_loops_run_exactly_when_their_element_visits_fit_the_budget(
    sizes: list[int], budget: int
) -> None:
    scope = {f"x{i}": list(range(n)) for i, n in enumerate(sizes)}
    clauses = " ".join(f"for a{i} in x{i}" for i in range(len(sizes)))
    visits = sum(math.prod(sizes[: i + 1]) for i in range(len(sizes)))
    expression = parse_expression(f"[0 {clauses}]")
    with mock.patch.object(loops, "MAX_VISITS", budget):
        if visits > budget:
            with pytest.raises(ExpressionEvalError, match=f"more than {budget:,} list elements"):
                expression.evaluate(scope)
        else:
            assert len(expression.evaluate(scope)) == math.prod(sizes)
