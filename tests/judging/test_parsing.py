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


def test_a_fenced_block_without_a_language_tag_is_read() -> None:
    assert parse_verdict(f"```\n{FAIL_JSON}\n```").verdict == "FAIL"


def test_a_verdict_nested_under_the_top_level_one_does_not_count() -> None:
    answer = '{"verdict": "FAIL", "reason": "r", "analysis": {"verdict": "PASS", "reason": "x"}}'
    assert parse_verdict(answer).verdict == "FAIL"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("I think it passed.", "the answer holds no JSON object"),
        ("[1, 2]", "the answer holds no JSON object"),
        (f"[{PASS_JSON}]", "the answer is JSON but not an object"),
        (f"My verdict: {PASS_JSON}", "the answer is not one complete JSON object"),
        (PASS_JSON[:-3], "the answer is not one complete JSON object (Expecting"),
        (f"{PASS_JSON}\n{FAIL_JSON}", "the answer is not one complete JSON object (Extra data"),
        ('{"analysis": {"verdict": "PASS", "reason": "r"}}', "'verdict' is a required property"),
        (f"```json\n{PASS_JSON[:-3]}\n```", "the fenced block is not one complete JSON object"),
        (f"```json\n{PASS_JSON}\n```\n```json\n{FAIL_JSON}\n```", "holds 4 ``` fences"),
        (
            f"```json\n{PASS_JSON}\n```\nor else {FAIL_JSON}",
            "around the fenced block holds another",
        ),
        ('{"verdict": "MAYBE", "reason": "r"}', "verdict: 'MAYBE' is not one of"),
        ('{"verdict": "PASS"}', "'reason' is a required property"),
        ('{"verdict": "PASS", "reason": "r", "steps": [{"name": "a"}]}', "steps/0: 'ok' is a"),
    ],
)
def test_what_is_not_a_verdict_is_explained(answer: str, problem: str) -> None:
    with pytest.raises(InvalidVerdict) as exc:
        parse_verdict(answer)
    assert problem in str(exc.value)
