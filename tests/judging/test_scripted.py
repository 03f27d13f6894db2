"""The ``scripted`` provider: verdicts from files and functions, for testing specs offline."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.judge import ProviderJudge, make_judge
from llm_pytest.judging.scripted import ScriptedProvider, load_script
from llm_pytest.model.judge import JudgeRequest
from llm_pytest.model.trace import JudgeRecord

from .support import make_plan, make_trace


async def verdicts(
    provider: ScriptedProvider, runs: int = 1, *, extra: str = ""
) -> list[JudgeRecord]:
    judge = ProviderJudge(provider)
    plan = make_plan(iterations=runs, extra=extra)
    with anyio.fail_after(10):
        return [await judge(make_trace(plan, iteration=i + 1), plan.judge) for i in range(runs)]


@pytest.mark.anyio
async def test_a_list_is_handed_out_in_call_order() -> None:
    records = await verdicts(ScriptedProvider(["PASS", "fail", "UNCLEAR"]), 3)
    assert [r.verdict for r in records] == ["PASS", "FAIL", "UNCLEAR"]
    assert records[0].reason == "scripted verdict PASS"
    assert records[0].provider == "scripted"
    assert records[0].cost_usd == 0


@pytest.mark.anyio
async def test_a_used_up_list_makes_further_runs_unclear_saying_so() -> None:
    records = await verdicts(ScriptedProvider(["PASS"]), 2)
    assert records[1].verdict == "UNCLEAR"
    assert "every verdict of the list has been used (1 entry) when run 2 of `Create user`" in (
        records[1].reason
    )


@pytest.mark.anyio
async def test_a_used_up_queue_says_which_test_asked_and_how_many_entries_it_had() -> None:
    script = {"Create user": ["PASS", "FAIL"]}
    records = await verdicts(ScriptedProvider(script, source="verdicts.yaml"), 3)
    assert records[2].verdict == "UNCLEAR"
    assert (
        "verdicts.yaml: every verdict of `Create user` has been used (2 entries) "
        "when run 3 of `Create user` asked for one" in records[2].reason
    )


@pytest.mark.anyio
async def test_the_repair_of_an_unparseable_answer_takes_the_next_entry() -> None:
    provider = ScriptedProvider([{"raw": "looks fine"}, "FAIL", "PASS"], source="verdicts.yaml")
    first, second = await verdicts(provider, 2)
    assert (first.verdict, second.verdict) == ("FAIL", "PASS")

    short = ScriptedProvider(["PASS", {"raw": "looks fine"}], source="verdicts.yaml")
    _, repaired = await verdicts(short, 2)
    assert repaired.verdict == "UNCLEAR"
    assert "(2 entries) when a repair attempt of run 2 of `Create user` asked" in repaired.reason
    assert "the repair attempt after an unparseable answer takes an entry too" in repaired.reason


@pytest.mark.anyio
async def test_a_mapping_answers_by_item_then_test_name_then_star() -> None:
    script = {
        "Create user[big]": "FAIL",
        "Create user": ["PASS", "FAIL"],
        "*": "UNCLEAR",
    }
    by_name = await verdicts(ScriptedProvider(script), 2)
    assert [r.verdict for r in by_name] == ["PASS", "FAIL"]

    experiment = "experiments: [{name: big, overrides: {vars.expected_name: Bob}}]"
    [by_item] = await verdicts(ScriptedProvider(script), extra=experiment)
    assert by_item.verdict == "FAIL"

    [other] = await verdicts(ScriptedProvider({"Another test": "PASS", "*": "UNCLEAR"}))
    assert other.verdict == "UNCLEAR"


@pytest.mark.anyio
async def test_a_single_verdict_answers_every_run() -> None:
    records = await verdicts(ScriptedProvider({"Create user": "PASS"}), 3)
    assert [r.verdict for r in records] == ["PASS"] * 3


@pytest.mark.anyio
async def test_a_test_missing_from_the_script_is_unclear_naming_what_it_has() -> None:
    [record] = await verdicts(ScriptedProvider({"Other": "PASS"}, source="verdicts.yaml"))
    assert record.verdict == "UNCLEAR"
    assert "verdicts.yaml has no verdict for `Create user` (it has `Other`)" in record.reason


@pytest.mark.anyio
async def test_full_verdicts_keep_reason_steps_issues_and_usage() -> None:
    entry = {
        "verdict": "FAIL",
        "reason": "the email is malformed",
        "steps": [{"name": "Create a user", "ok": False, "finding": "no @"}],
        "issues": ["duplicate ids"],
        "input_tokens": 1200,
        "output_tokens": 30,
        "cost_usd": 0.25,
    }
    [record] = await verdicts(ScriptedProvider([entry]))
    assert record.verdict == "FAIL"
    assert record.reason == "the email is malformed"
    assert record.steps == [{"name": "Create a user", "ok": False, "finding": "no @"}]
    assert record.issues == ["duplicate ids"]
    assert (record.input_tokens, record.output_tokens, record.cost_usd) == (1200, 30, 0.25)


@pytest.mark.anyio
async def test_a_raw_answer_goes_through_parsing_and_repair() -> None:
    records = await verdicts(
        ScriptedProvider(
            [
                {"raw": "looks fine to me"},
                {"raw": '```json\n{"verdict": "PASS", "reason": "ok"}\n```'},
                {"raw": "still prose"},
                {"raw": "prose"},
            ]
        ),
        2,
    )
    assert records[0].verdict == "PASS"
    assert records[1].verdict == "UNCLEAR"
    assert records[1].raw_excerpt == "prose"


def test_a_typo_in_the_script_is_reported_before_any_run() -> None:
    with pytest.raises(ProviderConfigError, match=r"verdicts.yaml\[1\]: `PASSS` is not a verdict"):
        ScriptedProvider(["PASS", "PASSS"], source="verdicts.yaml")
    with pytest.raises(ProviderConfigError, match=r"`t`\[0\]: not a verdict: verdict: 'OK' is not"):
        ScriptedProvider({"t": [{"verdict": "OK"}]})


@pytest.mark.anyio
async def test_a_yaml_file_is_loaded_through_make_judge(tmp_path: Path) -> None:
    script = tmp_path / "verdicts.yaml"
    script.write_text("Create user:\n  - FAIL\n  - {verdict: PASS, reason: fixed}\n")
    judge, description = make_judge("scripted", settings={"script": str(script)})
    assert description == "judge: scripted (set with --llm-provider or ini llm_provider)"
    plan = make_plan(iterations=2)
    first = await judge(make_trace(plan), plan.judge)
    second = await judge(make_trace(plan, iteration=2), plan.judge)
    assert (first.verdict, second.verdict, second.reason) == ("FAIL", "PASS", "fixed")


def test_a_script_that_is_not_a_list_or_mapping_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "verdicts.json"
    script.write_text('"PASS"')
    with pytest.raises(ProviderConfigError, match="must hold a list of verdicts or a mapping"):
        load_script(script)
    with pytest.raises(ProviderConfigError, match="cannot read the judge script"):
        load_script(tmp_path / "missing.yaml")


def test_make_judge_without_a_script_says_how_to_give_one() -> None:
    with pytest.raises(ProviderConfigError, match="llm_judge_script"):
        make_judge("scripted")


@pytest.mark.anyio
async def test_a_function_in_a_file_judges_with_the_request(tmp_path: Path) -> None:
    (tmp_path / "my_judge.py").write_text(
        textwrap.dedent(
            """
            async def judge(request):
                if "Alice" in request.prompt and request.iteration == 1:
                    return {"verdict": "PASS", "reason": "saw Alice"}
                return "FAIL"
            """
        )
    )
    provider = ScriptedProvider(load_script("my_judge.py:judge", base=tmp_path))
    records = await verdicts(provider, 2)
    assert [(r.verdict, r.reason) for r in records] == [
        ("PASS", "saw Alice"),
        ("FAIL", "scripted verdict FAIL"),
    ]


@pytest.mark.anyio
async def test_a_function_in_a_module_may_return_raw_text() -> None:
    provider = ScriptedProvider(load_script(f"{__name__}:fenced_pass"))
    [record] = await verdicts(provider)
    assert record.verdict == "PASS"


@pytest.mark.anyio
async def test_a_function_that_raises_makes_the_run_unclear() -> None:
    def broken(request: JudgeRequest) -> Any:
        raise KeyError("nope")

    [record] = await verdicts(ScriptedProvider(broken, source="broken"))
    assert record.verdict == "UNCLEAR"
    assert "the scripted judge function broken raised KeyError: 'nope'" in record.reason


def test_an_unknown_function_is_a_configuration_error() -> None:
    with pytest.raises(ProviderConfigError, match="names no function `missing`"):
        load_script(f"{__name__}:missing")
    with pytest.raises(ProviderConfigError, match="cannot import the judge script"):
        load_script("no_such_module_anywhere:judge")


def fenced_pass(request: JudgeRequest) -> str:
    return 'Here it is:\n```json\n{"verdict": "PASS", "reason": "ok"}\n```'
