"""Reading verdicts out of judge answers."""

from __future__ import annotations

import pytest

from llm_pytest.judging.parsing import InvalidVerdict, parse_verdict

from .support import FAIL_JSON, PASS_JSON


def test_a_bare_json_verdict_is_read() -> None:
    verdict = parse_verdict(FAIL_JSON)
    assert (verdict.verdict, verdict.reason) == ("FAIL", "the user is missing")


def test_a_fenced_verdict_surrounded_by_prose_is_read() -> None:
    answer = f"Here is my judgement.\n\n```json\n{PASS_JSON}\n```\nHope this helps."
    assert parse_verdict(answer).verdict == "PASS"


def test_steps_and_issues_may_be_missing_and_case_is_forgiven() -> None:
    verdict = parse_verdict('{"verdict": " pass ", "reason": "ok", "extra": 1}')
    assert verdict.verdict == "PASS"
    assert (verdict.steps, verdict.issues) == ([], [])


def test_steps_and_issues_are_kept() -> None:
    answer = (
        '{"verdict": "FAIL", "reason": "r", "steps": [{"name": "a", "ok": false, '
        '"finding": "bad id"}], "issues": ["slow"]}'
    )
    verdict = parse_verdict(answer)
    assert verdict.steps == [{"name": "a", "ok": False, "finding": "bad id"}]
    assert verdict.issues == ["slow"]


def test_an_example_quoted_before_the_answer_does_not_win() -> None:
    answer = 'The format is {"example": true}. My verdict: ' + PASS_JSON
    assert parse_verdict(answer).verdict == "PASS"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("I think it passed.", "the answer holds no JSON object"),
        ("[1, 2]", "the answer holds no JSON object"),
        ('{"verdict": "MAYBE", "reason": "r"}', "verdict: 'MAYBE' is not one of"),
        ('{"verdict": "PASS"}', "'reason' is a required property"),
        ('{"verdict": "PASS", "reason": "r", "steps": [{"name": "a"}]}', "steps/0: 'ok' is a"),
        (f"first {PASS_JSON} then {FAIL_JSON}", "verdicts that disagree: FAIL, PASS"),
    ],
)
def test_what_is_not_a_verdict_is_explained(answer: str, problem: str) -> None:
    with pytest.raises(InvalidVerdict) as exc:
        parse_verdict(answer)
    assert problem in str(exc.value)
