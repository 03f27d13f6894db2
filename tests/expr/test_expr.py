"""The expression language and ${...} templates (docs/language.md sections 4-5)."""

from __future__ import annotations

import collections
import json
import re
import sys
from typing import Any

import pytest

from llm_pytest.errors import (
    ExpressionEvalError,
    ExpressionSyntaxError,
    SourceLocation,
    UndefinedNameError,
    register_source,
)
from llm_pytest.expr.parse import (
    Expression,
    Reference,
    has_interpolation,
    parse_expression,
    parse_template,
)

LOC = SourceLocation("spec.yaml", 14, 9)

SCOPE: dict[str, Any] = {
    "new_user": {"id": 42, "email": "alice@example.com", "tags": ["a", "b"]},
    "items": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}, {"id": 3, "name": "z"}],
    "vars": {"limit": 5, "base_url": "http://127.0.0.1:8000", "key with spaces": "v"},
    "stored": {},
    "nothing": None,
    "text": "Hello World",
    "n": 42,
    "i": 1,
    "flag": True,
}


def ev(text: str, scope: dict[str, Any] | None = None) -> Any:
    return parse_expression(text).evaluate(SCOPE if scope is None else scope)


def render(text: str, scope: dict[str, Any] | None = None) -> Any:
    return parse_template(text).render(SCOPE if scope is None else scope)


# ---- literals and operators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-7", -7),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ('"double"', "double"),
        ("'single'", "single"),
        (r'"tab\there \"quoted\" \u00e9"', 'tab\there "quoted" é'),
        (r"'it\'s'", "it's"),
        (r'"\d+"', r"\d+"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[]", []),
        ("[1, 'two', [3], ]", [1, "two", [3]]),
        ("{}", {}),
        ('{"a": 1, "b": [true, null]}', {"a": 1, "b": [True, None]}),
    ],
)
def test_literals_have_their_json_values(text: str, value: Any) -> None:
    assert ev(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2", 3),
        ('"ab" + "cd"', "abcd"),
        ("[1] + [2]", [1, 2]),
        ("10 - 4", 6),
        ("3 * 4", 12),
        ("7 / 2", 3.5),
        ("7 % 3", 1),
        ("-n", -42),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 2 - 3", 5),
        ("2 * 3 % 4", 2),
        ("1 == 1.0", True),
        ("1 != 2", True),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 2", True),
        ("2 >= 3", False),
        ('"a" < "b"', True),
        ("2 in [1, 2]", True),
        ('"ell" in text', True),
        ('"id" in new_user', True),
        ("5 not in [1, 2]", True),
        ('"x" not in text', True),
        ("true and false", False),
        ("false or true", True),
        ("not false", True),
        ("not 1 == 2", True),
        ("1 == 1 and 2 == 2 or false", True),
        ("false and nothing.x", False),
        ("true or nothing.x", True),
        ("not n > 3 and n > 3", False),
        ("1 + 2 == 3", True),
        ('"a" + "b" in ["ab"]', True),
        ("[1, 2] == [1, 2.0]", True),
        ('{"a": [1]} == {"a": [1]}', True),
        ("1 == true", False),
        ("[true] == [1]", False),
        ("null == nothing", True),
    ],
)
def test_operators_follow_the_documented_precedence(text: str, value: Any) -> None:
    result = ev(text)
    assert result == value
    assert type(result) is type(value)


def test_and_or_not_give_booleans() -> None:
    assert ev("n and text") is True
    assert ev('"" or 0') is False


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("nothing ?? 1", 1),
        ("missing_name ?? 2", 2),
        ("new_user.nope ?? 3", 3),
        ("items[9].id ?? 4", 4),
        ("nothing.deeper ?? 5", 5),
        ("new_user.id ?? 6", 42),
        ("false ?? 7", False),
        ("missing ?? -1", -1),
        ("-nothing ?? 8", -8),
        ("missing ?? other ?? 9", 9),
        ("(missing ?? 1) + 1", 2),
        ("missing ?? 1 + 1", 2),
        ('vars["key with spaces"] ?? "d"', "v"),
    ],
)
def test_coalesce_falls_back_only_for_missing_or_null(text: str, value: Any) -> None:
    assert ev(text) == value


def test_coalesce_does_not_hide_type_errors() -> None:
    with pytest.raises(ExpressionEvalError, match="cannot apply `\\+`"):
        ev('("a" + 1) ?? 0')


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('text matches "^Hello"', True),
        ('text matches "world"', False),
        (r'"order-123" matches "\d+$"', True),
        ('text matches "(?i)WORLD"', True),
    ],
)
def test_matches_searches_with_a_regular_expression(text: str, value: bool) -> None:
    assert ev(text) is value


def test_matches_rejects_an_invalid_regex_and_a_non_string_pattern() -> None:
    with pytest.raises(ExpressionEvalError, match="invalid regular expression"):
        ev('text matches "("')
    with pytest.raises(ExpressionEvalError, match="right side of `matches` must be a string"):
        ev("text matches 1")


# ---- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("new_user.id", 42),
        ("items[0].name", "x"),
        ("items[-1].id", 3),
        ('vars["key with spaces"]', "v"),
        ("vars['limit']", 5),
        ("new_user.tags[1]", "b"),
        ("items[i].name", "y"),
        ("items[len(items) - 1].id", 3),
        ("text[0]", "H"),
        ('{"a": "}"}.a', "}"),
        ("[10, 20][1]", 20),
        ("(new_user).email", "alice@example.com"),
        ("new_user . id", 42),
    ],
)
def test_paths_read_fields_indexes_and_keys(text: str, value: Any) -> None:
    assert ev(text) == value


def test_field_names_may_be_keywords() -> None:
    assert ev("m.in.not", {"m": {"in": {"not": 1}}}) == 1


def test_paths_read_any_mapping() -> None:
    scope = collections.ChainMap({"env": {"HOME": "/home/x"}}, {"vars": {"a": 1}})
    assert parse_template("${env.HOME}:${vars.a}").render(scope) == "/home/x:1"


# ---- functions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("len(items)", 3),
        ("len(text)", 11),
        ("len(new_user)", 3),
        ("str(n)", "42"),
        ("str(null)", "null"),
        ("str(true)", "true"),
        ("str([1, 2])", "[1,2]"),
        ('int("12")', 12),
        ("int(3.9)", 3),
        ('float("2.5")', 2.5),
        ("float(1)", 1.0),
        ('bool("false")', False),
        ('bool("yes")', True),
        ("bool(0)", False),
        ("bool([1])", True),
        ("lower(text)", "hello world"),
        ("upper(text)", "HELLO WORLD"),
        ("keys(new_user)", ["id", "email", "tags"]),
        ("values({'a': 1, 'b': 2})", [1, 2]),
        ("abs(-3)", 3),
        ("min([3, 1, 2])", 1),
        ("min(3, 1, 2)", 1),
        ("max([3, 1, 2])", 3),
        ('max("a", "c", "b")', "c"),
        ("sum([1, 2, 3])", 6),
        ("sum(1, 2.5)", 3.5),
        ("any([false, 1])", True),
        ("any(false, false)", False),
        ("all([true, 1])", True),
        ("all(true, 0)", False),
        ("sorted([3, 1, 2])", [1, 2, 3]),
        ("unique([1, 2, 1, 3, 2])", [1, 2, 3]),
        ("unique([{'a': 1}, {'a': 1}])", [{"a": 1}]),
        ("contains(text, 'World')", True),
        ("contains([1, 2], 3)", False),
        ("starts_with(text, 'Hell')", True),
        ("ends_with(text, 'x')", False),
        ('json({"a": [1, "é"]})', '{"a":[1,"é"]}'),
    ],
)
def test_each_function(text: str, value: Any) -> None:
    assert ev(text) == value


def test_uuid_and_now_give_fresh_values() -> None:
    first, second = ev("uuid()"), ev("uuid()")
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev("now()"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("len(5)", "`len` needs a string, a list or a map, not int 5"),
        ('int("x")', "`int` cannot read a whole number"),
        ("max([])", "`max` of an empty list"),
        ('sorted([1, "a"])', "cannot compare numbers with strings"),
        ('sum(["a"])', "`sum` needs numbers"),
        ("lower(1)", "`lower` needs a string"),
        ("keys([1])", "`keys` needs a map"),
        ("abs('1')", "`abs` needs a number"),
        ("any(1)", "`any` needs a list"),
    ],
)
def test_functions_reject_wrong_types(text: str, message: str) -> None:
    with pytest.raises(ExpressionEvalError, match=re.escape(message)):
        ev(text)


def test_unknown_function_is_a_syntax_error_that_suggests_the_closest() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("lenght(items) > 1", LOC)
    err = info.value
    assert "unknown function `lenght`" in err.message
    assert err.hint is not None
    assert "did you mean `len`?" in err.hint
    assert "starts_with" in err.hint  # the known functions are listed
    assert err.location == LOC


def test_wrong_argument_count_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="`len` takes 1 argument, not 2") as info:
        parse_expression("1 + len(a, b)", LOC)
    assert info.value.location == LOC.shifted(4)


# ---- type errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ('"a" + 1', 'cannot apply `+` to string "a" and int 1', "use str(x) to join text"),
        ('"a" < 1', 'cannot apply `<` to string "a" and int 1', "int(x), float(x) or str(x)"),
        ("1 / 0", "cannot divide 1 by zero", "guard the division"),
        ("5 % 0", "cannot divide 5 by zero", None),
        ("true + 1", "cannot apply `+` to bool true and int 1", None),
        ("nothing + 1", "cannot apply `+` to null and int 1", "x ?? default"),
        ("-text", "cannot apply unary `-` to string", None),
        ("1 in 5", "cannot look inside int 5 with `in`", None),
        ("1 in text", "cannot look for int 1 in a string", None),
        ("items.name", "`items` is a list, not a map: it has no field `name`", "x[0]"),
        ("new_user[0]", "cannot index `new_user` with int 0", 'x["key"]'),
        ("items[1.5]", "cannot index `items` with float 1.5", None),
    ],
)
def test_type_errors_name_the_operator_and_the_types(
    text: str, message: str, hint: str | None
) -> None:
    with pytest.raises(ExpressionEvalError) as info:
        parse_expression(text, LOC).evaluate(SCOPE)
    err = info.value
    assert not isinstance(err, UndefinedNameError)
    assert message in err.message
    assert f"in `{text}`" in err.message
    if hint is not None:
        assert err.hint is not None
        assert hint in err.hint


def test_type_error_points_at_the_operator() -> None:
    with pytest.raises(ExpressionEvalError) as info:
        parse_expression("n + 1 > text - 1", LOC).evaluate(SCOPE)
    assert info.value.location == LOC.shifted(13)


# ---- undefined names and missing fields ------------------------------------------------------


def test_undefined_name_suggests_closest_binding() -> None:
    template = parse_template("${new_usr.id}", LOC)
    with pytest.raises(UndefinedNameError) as info:
        template.render(SCOPE)
    err = info.value
    assert err.message.startswith("`new_usr` is not defined in `${new_usr.id}`")
    assert "available names: flag, i, items, n, new_user, nothing, stored, text, vars" in (
        err.message
    )
    assert err.hint == "did you mean `new_user`?"
    assert err.location == LOC.shifted(2)


def test_missing_field_lists_the_fields_and_suggests_one() -> None:
    with pytest.raises(UndefinedNameError) as info:
        parse_template("id=${new_user.idd}", LOC).render(SCOPE)
    err = info.value
    assert err.message == (
        "`new_user` has no field `idd` (fields: id, email, tags) in `${new_user.idd}`"
    )
    assert err.hint == "did you mean `id`?"
    assert err.location == LOC.shifted(5)


def test_index_out_of_range_says_how_many_items_there_are() -> None:
    with pytest.raises(UndefinedNameError) as info:
        parse_expression("len(items) > 0 and items[5].id == 1", LOC).evaluate(SCOPE)
    err = info.value
    assert "`items[5]` is out of range (3 items) in `len(items)" in err.message
    assert err.location == LOC.shifted(19)


def test_field_of_null_is_reported_as_missing() -> None:
    with pytest.raises(UndefinedNameError, match="`nothing` is null, so it has no field `x`"):
        ev("nothing.x")


def test_nested_missing_field_names_the_path_it_reads() -> None:
    with pytest.raises(UndefinedNameError, match=re.escape("`items[0]` has no field `nme`")):
        ev("items[0].nme")


def test_error_renders_with_the_spec_line_and_a_caret(tmp_path: Any) -> None:
    register_source("caret.yaml", "steps:\n  - check: result.count == 10\n")
    expression = parse_expression("result.cnt == 10", SourceLocation("caret.yaml", 2, 12))
    with pytest.raises(UndefinedNameError) as info:
        expression.evaluate({"result": {"count": 9}})
    rendered = info.value.render()
    assert rendered.splitlines()[0].startswith("caret.yaml:2:12: `result` has no field `cnt`")
    assert "    2 |   - check: result.count == 10" in rendered
    assert "hint: did you mean `count`?" in rendered


def test_errors_in_multi_line_text_point_at_the_right_line() -> None:
    with pytest.raises(UndefinedNameError) as info:
        parse_template("first line\n  then ${oops}", LOC).render(SCOPE)
    assert info.value.location == SourceLocation("spec.yaml", 15, 9 + 9)


# ---- syntax errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "column", "hint"),
    [
        ("len(a))", "unexpected `)` at column 7 in `len(a))`", 7, "nothing for this `)`"),
        ("a < b < c", "comparisons cannot be chained", 7, "`a < b and b < c`"),
        ("a == b == c", "comparisons cannot be chained", 8, "and"),
        ("a in b in c", "comparisons cannot be chained", 8, "and"),
        ('x == "abc', "unclosed string at column 6", 6, 'matching "'),
        ("a = b", "unexpected `=` at column 3", 3, "use `==`"),
        ("a && b", "unexpected `&` at column 3", 3, "use `and`"),
        ("(1 + 2", "unexpected end of the expression at column 7", 7, "expected `)`"),
        ("[1, 2", "unexpected end", 6, "expected `,` or `]`"),
        ('{"a" 1}', "unexpected `1` at column 6", 6, "expected `:`"),
        ("a.0", "unexpected `0` at column 3", 3, "expected a field name"),
        ("a.len()", "unexpected `(` at column 6", 6, "`len(x)`, not `x.len()`"),
        ("a not b", "unexpected `b` at column 7", 7, "expected `in`"),
        ("1 +", "unexpected end", 4, "expected a value"),
        ("a b", "unexpected `b` at column 3", 3, "expected an operator"),
        ("${x} > 1", "unexpected `${` at column 1", 1, "without `${...}`"),
        ("", "the expression is empty", 1, None),
        ("a\n  + * b", "unexpected `*` at line 2, column 5", None, "expected a value"),
        ("größe > 1", "unexpected `ö` at column 3", 3, "names are ASCII letters"),
    ],
)
def test_syntax_errors_point_at_the_right_column(
    text: str, message: str, column: int | None, hint: str | None
) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text, LOC)
    err = info.value
    assert message in err.message
    if column is not None:
        assert err.location == LOC.shifted(column - 1)
    if hint is not None:
        assert err.hint is not None
        assert hint in err.hint


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("${a", "`${` is not closed at column 4", 4),
        ("x ${a.b + } y", "unexpected `}` at column 11", 11),
        ("$${a} ${b", "`${` is not closed at column 10", 10),
        ("${}", "unexpected `}` at column 3", 3),
        ("${ ${a} }", "unexpected `${` at column 4", 4),
    ],
)
def test_template_syntax_errors_point_into_the_template(
    text: str, message: str, column: int
) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_template(text, LOC)
    assert message in info.value.message
    assert info.value.location == LOC.shifted(column - 1)


def test_absurd_nesting_is_refused_cleanly() -> None:
    with pytest.raises(ExpressionSyntaxError, match="nests too deeply"):
        parse_expression("not " * 500 + "x")
    with pytest.raises(ExpressionSyntaxError, match="nests too deeply"):
        parse_expression("+".join(["1"] * 2000))
    with pytest.raises(ExpressionSyntaxError):
        parse_expression("(" * 10000)
    assert parse_expression("(" * 300 + "1" + ")" * 300).evaluate({}) == 1


def test_evaluation_of_unusual_python_values_raises_only_our_errors() -> None:
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ExpressionEvalError):
        parse_expression("x == y").evaluate({"x": deep, "y": deep})
    with pytest.raises(ExpressionEvalError):
        parse_expression("str(x)").evaluate({"x": 10**5000})
    with pytest.raises(ExpressionEvalError):
        parse_template("n=${x}").render({"x": 10**5000})
    circular: dict[str, Any] = {}
    circular["self"] = circular
    with pytest.raises(ExpressionEvalError):
        parse_template("c=${x}").render({"x": circular})
    with pytest.raises(ExpressionEvalError):
        parse_expression("x.y").evaluate({"x": object()})
    assert parse_expression("x == 1").describe_values({"x": 10**5000}) == [("x", "<int>")]


# ---- templates ------------------------------------------------------------------------------


def test_a_lone_interpolation_keeps_the_value_type() -> None:
    assert render("${n}") == 42
    assert render("${ new_user.tags }") == ["a", "b"]
    assert render("${nothing}") is None
    assert render("${n > 1}") is True


def test_interpolation_inside_text_renders_json_spellings() -> None:
    assert render("x${n}") == "x42"
    assert render("${new_user.email}_updated") == "alice@example.com_updated"
    assert render("${nothing}/${flag}/${2.5}/${new_user.tags}/${ {'a': 1} }") == (
        'null/true/2.5/["a","b"]/{"a":1}'
    )
    assert render("User ${i + 1} of ${len(items)}") == "User 2 of 3"


def test_dollar_dollar_brace_is_a_literal_dollar_brace() -> None:
    assert render("$${n}") == "${n}"
    assert render("cost: $5, $${n} is ${n}") == "cost: $5, ${n} is 42"
    assert render("$$${n}") == "$${n}"
    template = parse_template("$${not} an interpolation")
    assert template.is_literal
    assert template.parts == ("${not} an interpolation",)


def test_braces_inside_strings_and_maps_do_not_end_the_interpolation() -> None:
    assert render('${ {"a": "}"}.a }') == "}"
    assert render('<${ "}" + "{" }>') == "<}{>"
    assert render('${ {"k": {"n": [1, {"m": 2}]}}.k.n[1].m }!') == "2!"


def test_template_parts_and_properties() -> None:
    template = parse_template("Hi ${ new_user.email }, you are #${n}", LOC)
    assert not template.is_literal
    assert template.whole is None
    text, first, middle, second = template.parts
    assert (text, middle) == ("Hi ", ", you are #")
    assert isinstance(first, Expression)
    assert isinstance(second, Expression)
    assert first.source == "new_user.email"
    assert first.location == LOC.shifted(6)
    assert second.source == "n"
    whole = parse_template("${n}").whole
    assert whole is not None
    assert whole.source == "n"


def test_literal_templates() -> None:
    assert parse_template("").parts == ()
    assert parse_template("").render({}) == ""
    assert parse_template("plain $ text {}").is_literal
    assert parse_template("plain $ text {}").render({}) == "plain $ text {}"
    assert parse_template("plain").whole is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", False),
        ("${x}", True),
        ("a ${x.y} b", True),
        ("$${x}", False),
        ("$$${x}", False),
        ("$${x} ${y}", True),
        ("$ {x}", False),
    ],
)
def test_has_interpolation(text: str, expected: bool) -> None:
    assert has_interpolation(text) is expected
    assert (not parse_template(text).is_literal) is expected


# ---- references and failure reports ---------------------------------------------------------


def test_references_are_maximal_paths_in_source_order() -> None:
    text = 'len(a["k"][0]) > b.c and x[i].y == result.count ?? 0'
    assert parse_expression(text).references() == (
        Reference("a", ("k", 0), 'a["k"][0]', 4),
        Reference("b", ("c",), "b.c", 17),
        Reference("x", (), "x", 25),
        Reference("i", (), "i", 27),
        Reference("result", ("count",), "result.count", text.index("result")),
    )


def test_template_references_use_template_offsets() -> None:
    template = parse_template("a ${ new_user.id } b ${items[-1].name + vars.x}")
    refs = template.references()
    assert [(r.text, r.offset) for r in refs] == [
        ("new_user.id", 5),
        ("items[-1].name", 23),
        ("vars.x", 40),
    ]
    assert refs[1].path == (-1, "name")
    part = template.parts[1]
    assert isinstance(part, Expression)
    assert part.references()[0].offset == 0


def test_describe_values_for_a_failed_check() -> None:
    expression = parse_expression("result.count == 10 and result.count > missing.x", LOC)
    scope = {"result": {"count": 9}, "name": "x"}
    assert expression.evaluate(scope) is False
    assert expression.describe_values(scope) == [
        ("result.count", "9"),
        ("missing.x", "<undefined>"),
    ]
    long_value = {"result": {"count": "y" * 1000}}
    (text, shown), _ = expression.describe_values(long_value)
    assert text == "result.count"
    assert len(shown) <= 200
    assert shown.startswith('"yyy')


# ---- caching and the simple-path fast road ---------------------------------------------------


def test_simple_paths_and_parsed_paths_agree() -> None:
    scope = {"a": {"b": [{"c": 1}, {"key x": 2}]}}
    for path in ["a.b[0].c", 'a.b[-1]["key x"]', "a .b", "a.b[ 1 ]['key x']"]:
        fast = parse_expression(path)
        slow = parse_expression(f"({path})")
        assert fast.evaluate(scope) == slow.evaluate(scope)
        assert [(r.root, r.path) for r in fast.references()] == [
            (r.root, r.path) for r in slow.references()
        ]


def test_keywords_are_not_names() -> None:
    assert render("${true}") is True
    assert render("${null}") is None
    for keyword in ("and", "or", "in", "matches"):
        with pytest.raises(ExpressionSyntaxError, match=f"`{keyword}` is a keyword"):
            parse_template("${" + keyword + "}")


def test_same_text_at_two_locations_keeps_each_location() -> None:
    here, there = SourceLocation("a.yaml", 1, 1), SourceLocation("b.yaml", 7, 3)
    first = parse_template("${gone}", here)
    second = parse_template("${gone}", there)
    for template, location in ((first, here), (second, there)):
        with pytest.raises(UndefinedNameError) as info:
            template.render({})
        assert info.value.location == location.shifted(2)


def test_values_from_literals_are_fresh_each_time() -> None:
    expression = parse_expression("[1, {'a': []}]")
    first = expression.evaluate({})
    first[1]["a"].append(2)
    assert expression.evaluate({}) == [1, {"a": []}]


def test_rendered_json_matches_json_dumps() -> None:
    value = {"k": [1, 2.5, None, True, "é"]}
    assert render("v=${x}", {"x": value}) == "v=" + json.dumps(
        value, separators=(",", ":"), ensure_ascii=False
    )


def test_a_syntax_error_stays_located_after_lark_is_imported_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parse_expression("len(x) > 1 + 2 * 3", LOC)  # builds and caches the parser
    # What an in-process pytest session does to the modules first imported during it:
    for name in [m for m in sys.modules if m == "lark" or m.startswith("lark.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("len(y) > (2 +", LOC)
    assert info.value.location is not None
