"""``matches`` refuses patterns that can backtrack exponentially, before matching anything."""

from __future__ import annotations

import pytest

from llm_pytest.errors import ExpressionEvalError
from llm_pytest.expr.parse import parse_expression


def ev(text: str, value: str) -> object:
    return parse_expression(text).evaluate({"text": value})


@pytest.mark.parametrize("pattern", [r"^(a+)+$", r"(a*)*$", r"^(\\w+\\s?)+$", r"(?:x+)*y"])
def test_a_repeat_of_a_repeat_is_refused_instead_of_running_for_minutes(pattern: str) -> None:
    with pytest.raises(ExpressionEvalError) as err:
        ev(f'text matches "{pattern}"', "a" * 35 + "!")
    assert "refused regular expression" in str(err.value)
    assert "exponential time" in str(err.value)
    assert err.value.hint is not None
    assert "^a+$" in err.value.hint


@pytest.mark.parametrize(
    "pattern",
    [r"^([a-z]+\\.)+com$", r"(ab|cd)+", r"(\\d{3})+", r"^[\\w.-]+@([\\w-]+\\.)+[a-z]{2,}$"],
)
def test_repeats_separated_by_what_they_cannot_match_are_allowed(pattern: str) -> None:
    assert ev(f'text matches "{pattern}"', "a" * 35 + "!") is False


@pytest.mark.parametrize("pattern", [r"^(a|aa)+$", r"^(a|b?a)+$", r"^(a.|ab)+$", r"^(.|b)+$"])
def test_a_repeated_choice_that_can_split_the_text_in_many_ways_is_refused(pattern: str) -> None:
    with pytest.raises(ExpressionEvalError) as err:
        ev(f'text matches "{pattern}"', "a" * 35 + "!")
    assert "more than one way" in str(err.value)
    assert err.value.hint is not None
    assert "begin with different characters" in err.value.hint


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"^(ab|ac)+$", "abacab", True),
        (r"^(\\w|\\d)*$", "ab12", True),
        (r"^(a|ab)+$", "aabab", True),
        (r"^( ?\\w)+$", "a b c", True),
        (r"^(?:[^,]|,x)*$", "a,xb,x", True),
        (r"^(ab|ac)+$", "a" * 35 + "!", False),
    ],
)
def test_repeated_choices_whose_alternatives_begin_differently_still_match(
    pattern: str, text: str, found: bool
) -> None:
    assert ev(f'text matches "{pattern}"', text) is found
