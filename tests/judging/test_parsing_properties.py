"""Properties of the verdict parser over generated answers: a verdict is read only from the top
level of the answer's one complete object, and nothing else is ever a PASS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from llm_pytest.judging.parsing import InvalidVerdict, parse_verdict

SETTINGS = settings(max_examples=200, deadline=None)


@dataclass(frozen=True)
class Answer:
    text: str
    stated: str | None
    """The verdict the answer states at the top level of its one object (None: it states none)."""


# Backticks stay out of generated texts so that a fence is only ever where an answer puts one.
words = st.text(st.sampled_from(list('ab Zé✓ {}[]":,\\\n\t')), max_size=20)
# Prose beside a fenced block: anything but a quoted key, which could be another verdict.
plain_prose = st.text(st.sampled_from(list("abc xyz.,:;!?{}[]()\n\t-")), max_size=30)
outcomes = st.sampled_from(["PASS", "FAIL", "UNCLEAR", "pass", " Fail ", "unclear"])

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | words,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def verdicts(draw: st.DrawFn, *, nested: bool = True) -> dict[str, Any]:
    """A valid verdict object, maybe with extra keys (some holding verdicts of their own)."""
    obj: dict[str, Any] = {"verdict": draw(outcomes), "reason": draw(words)}
    if draw(st.booleans()):
        obj["steps"] = draw(
            st.lists(st.fixed_dictionaries({"name": words, "ok": st.booleans()}), max_size=2)
        )
    if draw(st.booleans()):
        obj["issues"] = draw(st.lists(words, max_size=2))
    for key in draw(st.lists(st.sampled_from(["analysis", "example", "notes"]), unique=True)):
        obj[key] = draw(json_values | verdicts(nested=False)) if nested else draw(json_values)
    return obj


def stated(obj: dict[str, Any]) -> str:
    return str(obj["verdict"]).strip().upper()


def dumps(obj: Any, draw: st.DrawFn) -> str:
    return json.dumps(obj, indent=draw(st.sampled_from([None, 2])))


@st.composite
def whole_answers(draw: st.DrawFn) -> Answer:
    obj = draw(verdicts())
    pad = draw(st.sampled_from(["", " ", "\n", "\n\n  "]))
    return Answer(pad + dumps(obj, draw) + pad, stated(obj))


@st.composite
def fenced_answers(draw: st.DrawFn) -> Answer:
    obj = draw(verdicts())
    tag = draw(st.sampled_from(["json", "JSON", ""]))
    before, after = draw(plain_prose), draw(plain_prose)
    return Answer(f"{before}```{tag}\n{dumps(obj, draw)}\n```{after}", stated(obj))


@st.composite
def truncated_answers(draw: st.DrawFn) -> Answer:
    text = dumps(draw(verdicts()), draw)
    cut = draw(st.integers(1, len(text) - 1))
    fence = draw(st.sampled_from(["", "```json\n"]))
    return Answer(fence + text[:cut], None)


@st.composite
def nested_answers(draw: st.DrawFn) -> Answer:
    """A verdict only under another key: the top level has none."""
    outer = draw(st.dictionaries(words.filter(lambda k: k != "verdict"), json_values, max_size=2))
    outer[draw(st.sampled_from(["analysis", "result", "judgement"]))] = draw(verdicts())
    return Answer(dumps(outer, draw), None)


@st.composite
def prose_wrapped_answers(draw: st.DrawFn) -> Answer:
    """A verdict quoted in prose, without a fence: a hypothetical, an example, or the answer."""
    before = draw(words)
    after = draw(words.filter(lambda s: s.strip() != "" or before.strip() != ""))
    return Answer(f"{before}{json.dumps(draw(verdicts()))}{after}", None)


@st.composite
def multi_object_answers(draw: st.DrawFn) -> Answer:
    """Several objects, side by side, each in a fence of its own, or one fenced and one not."""
    first, second = dumps(draw(verdicts()), draw), dumps(draw(verdicts()), draw)
    layout = draw(
        st.sampled_from(["{a}\n{b}", "{a} {b}", "```json\n{a}\n```\n```json\n{b}\n```"])
        | st.sampled_from(["```json\n{a}\n```\n{b}", "{a}\n```json\n{b}\n```"])
    )
    return Answer(layout.format(a=first, b=second), None)


answers = st.one_of(
    whole_answers(),
    fenced_answers(),
    truncated_answers(),
    nested_answers(),
    prose_wrapped_answers(),
    multi_object_answers(),
)


@SETTINGS
@given(answers)
def test_an_answer_gives_a_verdict_only_when_its_one_object_states_it_at_the_top_level(
    answer: Answer,
) -> None:
    try:
        verdict = parse_verdict(answer.text).verdict
    except InvalidVerdict:
        assert answer.stated is None, f"{answer.text!r} states {answer.stated}"
        return
    assert verdict != "PASS" or answer.stated == "PASS", f"a PASS from {answer.text!r}"
    assert verdict == answer.stated
