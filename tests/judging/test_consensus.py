"""Consensus: a judge asked K times (``judge.votes``, the ``votes`` setting) or a panel of judges
asked once each, the majority deciding; ties and failed votes are UNCLEAR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_pytest.errors import ProviderConfigError, SpecErrors
from llm_pytest.judging.cache import JudgeCache
from llm_pytest.judging.consensus import ConsensusJudge
from llm_pytest.judging.judge import ProviderJudge, make_judge
from llm_pytest.judging.openai import OpenAIProvider
from llm_pytest.judging.scripted import ScriptedProvider
from llm_pytest.model.judge import JudgeRequest

from .fakes.llm_server import FakeLLMServer, openai_completion
from .support import FAIL_JSON, PASS_JSON, RecordingProvider, judge_once, make_plan


def scripted(*verdicts: Any, votes: int = 1) -> ConsensusJudge:
    """A consensus over the scripted judge answering ``verdicts`` in call order."""
    return ConsensusJudge(ProviderJudge(ScriptedProvider(list(verdicts))), votes)


@pytest.mark.anyio
async def test_three_votes_take_the_majority_and_keep_every_vote() -> None:
    record = await judge_once(
        scripted(
            {"verdict": "PASS", "reason": "all there", "input_tokens": 100, "cost_usd": 0.01},
            {"verdict": "FAIL", "reason": "one missing", "input_tokens": 120, "cost_usd": 0.02},
            {"verdict": "PASS", "reason": "looks right", "input_tokens": 90, "cost_usd": 0.01},
            votes=3,
        )
    )
    assert record.verdict == "PASS"
    assert record.agreement == "2/3"
    assert record.reason == "judges agree 2/3: all there"
    assert [(v.verdict, v.reason) for v in record.votes] == [
        ("PASS", "all there"),
        ("FAIL", "one missing"),
        ("PASS", "looks right"),
    ]
    assert record.input_tokens == 310
    assert record.cost_usd == pytest.approx(0.04)


@pytest.mark.anyio
async def test_a_tie_is_unclear_saying_the_judges_split() -> None:
    record = await judge_once(
        scripted(
            {"verdict": "PASS", "reason": "fine"}, {"verdict": "FAIL", "reason": "bad"}, votes=2
        )
    )
    assert record.verdict == "UNCLEAR"
    assert record.reason == "judges split 1–1 (1 PASS, 1 FAIL): PASS: fine; FAIL: bad"
    assert record.agreement == "1/2"
    assert record.unclear == "undecided"


@pytest.mark.anyio
async def test_a_unanimous_vote_says_so() -> None:
    record = await judge_once(scripted(*["FAIL"] * 4, votes=4))
    assert (record.verdict, record.agreement) == ("FAIL", "4/4")
    assert len(record.votes) == 4


def flaky_function(answers: dict[int, str]) -> Any:
    """A scripted-judge function answering by vote number; a vote it has no answer for fails."""

    def answer(request: JudgeRequest) -> str:
        if request.vote not in answers:
            raise TimeoutError("no answer within 120s")
        return answers[request.vote]

    return answer


@pytest.mark.anyio
async def test_a_failed_vote_counts_as_unclear_and_a_majority_still_decides() -> None:
    judge = ConsensusJudge(
        ProviderJudge(ScriptedProvider(flaky_function({1: "PASS", 3: "PASS"}))), 3
    )
    record = await judge_once(judge)
    assert (record.verdict, record.agreement) == ("PASS", "2/3")
    failed = record.votes[1]
    assert (failed.verdict, failed.unclear) == ("UNCLEAR", "judge_failed")
    assert "TimeoutError: no answer within 120s" in failed.reason


@pytest.mark.anyio
async def test_a_failed_vote_that_costs_the_majority_is_the_judges_failure() -> None:
    judge = ConsensusJudge(ProviderJudge(ScriptedProvider(flaky_function({1: "PASS"}))), 2)
    record = await judge_once(judge)
    assert record.verdict == "UNCLEAR"
    assert record.reason.startswith("judges split 1–1 (1 PASS, 1 UNCLEAR): PASS: scripted")
    assert record.unclear == "judge_failed"


@pytest.mark.anyio
async def test_a_spec_asks_for_its_own_votes(tmp_path: Path) -> None:
    judge, _ = make_judge(
        "scripted", settings={"script": _script_file(tmp_path, ["PASS", "FAIL", "FAIL"])}
    )
    record = await judge_once(judge, extra="judge: {votes: 3}")
    assert (record.verdict, record.agreement) == ("FAIL", "2/3")


@pytest.mark.anyio
async def test_the_votes_setting_is_the_default_and_a_spec_wins(tmp_path: Path) -> None:
    script = _script_file(tmp_path, ["PASS", "PASS", "FAIL", "PASS"])
    judge, description = make_judge("scripted", settings={"script": script, "votes": "3"})
    assert description.endswith(", 3 votes per run")
    record = await judge_once(judge)
    assert (record.verdict, record.agreement) == ("PASS", "2/3")
    single = await judge_once(judge, extra="judge: {votes: 1}")
    assert (single.verdict, single.agreement, single.votes) == ("PASS", None, [])


def test_a_bad_votes_setting_names_itself() -> None:
    from llm_pytest.errors import UsageError

    with pytest.raises(UsageError, match="judge setting `votes` must be at least 1, not 0"):
        make_judge("offline", settings={"votes": "0"})
    with pytest.raises(UsageError, match="`votes` must be at most 25, not 40"):
        make_judge("offline", settings={"votes": "40"})


@pytest.mark.anyio
async def test_a_single_judgement_is_unchanged() -> None:
    record = await judge_once(scripted({"verdict": "PASS", "reason": "fine"}))
    assert (record.reason, record.agreement, record.votes) == ("fine", None, [])


@pytest.mark.anyio
async def test_votes_reach_an_openai_wire_server_once_each_with_their_cost(
    server: FakeLLMServer,
) -> None:
    server.script(
        openai_completion(PASS_JSON, prompt_tokens=1000, completion_tokens=100),
        openai_completion(FAIL_JSON, prompt_tokens=1000, completion_tokens=100),
        openai_completion(PASS_JSON, prompt_tokens=1000, completion_tokens=100),
    )
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="sk-test")
    record = await judge_once(ConsensusJudge(ProviderJudge(provider), 3))
    assert len(server.received) == 3
    assert (record.verdict, record.agreement) == ("PASS", "2/3")
    # gpt-4.1-mini: $0.40 in, $1.60 out per million tokens, three times
    one = 1000 * 0.4e-6 + 100 * 1.6e-6
    assert [v.cost_usd for v in record.votes] == pytest.approx([one, one, one])
    assert record.cost_usd == pytest.approx(3 * one)
    assert (record.input_tokens, record.output_tokens) == (3000, 300)


@pytest.mark.anyio
async def test_a_panel_asks_each_judge_once_with_its_model(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    server.script(openai_completion(FAIL_JSON), openai_completion(FAIL_JSON))
    judge, _ = make_judge(
        "auto",
        settings={"script": _script_file(tmp_path, ["PASS"]), "base_url": f"{server.url}/v1"},
        env={"PATH": str(tmp_path)},
    )
    panel = (
        "judge:\n  panel:\n    - {provider: scripted}\n    - {provider: openai, model: m-small}"
        "\n    - {provider: openai, model: m-large}"
    )
    record = await judge_once(judge, extra=panel)
    assert sorted(r.body["model"] for r in server.received) == ["m-large", "m-small"]
    assert [v.provider for v in record.votes] == ["scripted", "openai", "openai"]
    assert (record.verdict, record.agreement) == ("FAIL", "2/3")
    assert record.provider == "scripted, openai"


@pytest.mark.anyio
async def test_votes_ask_the_judge_even_when_its_cache_holds_the_answer(tmp_path: Path) -> None:
    provider = RecordingProvider([PASS_JSON])
    judge = ConsensusJudge(
        ProviderJudge(provider, cache=JudgeCache(tmp_path), cache_mode="auto"), 3
    )
    await judge_once(judge)
    await judge_once(judge)
    assert len(provider.requests) == 6
    assert sorted(r.vote for r in provider.requests) == [1, 1, 2, 2, 3, 3]


@pytest.mark.anyio
async def test_a_judge_that_cannot_work_stops_the_consensus() -> None:
    provider = RecordingProvider([ProviderConfigError("the key was rejected")])
    with pytest.raises(ProviderConfigError, match="the key was rejected"):
        await judge_once(ConsensusJudge(ProviderJudge(provider), 3))


@pytest.mark.parametrize(
    ("judge", "message"),
    [
        ("judge: {votes: 0}", "`judge.votes` must be at least 1, got 0"),
        ("judge: {votes: 26}", "`judge.votes` must be at most 25, got 26"),
        ("judge: {panel: [{provider: openai}]}", "`judge.panel` must have at least 2 items"),
        (
            "judge: {votes: 3, panel: [{provider: openai}, {provider: anthropic}]}",
            "give `votes` (one judge asked K times) or `panel` (each judge asked once), not both",
        ),
        ("judge: {panel: [{}, {model: m}]}", "a panel judge names a `provider`, a `model`"),
    ],
)
def test_a_bad_consensus_in_a_spec_is_reported_where_it_is(judge: str, message: str) -> None:
    with pytest.raises(SpecErrors) as raised:
        make_plan(extra=judge)
    assert message in str(raised.value)
    assert ":20:" in str(raised.value)


def _script_file(directory: Path, verdicts: list[str]) -> str:
    path = directory / "verdicts.json"
    path.write_text(json.dumps(verdicts), encoding="utf-8")
    return str(path)


@pytest.mark.anyio
async def test_a_provider_chosen_by_name_answers_for_every_panel_judge(tmp_path: Path) -> None:
    judge, _ = make_judge("scripted", settings={"script": _script_file(tmp_path, ["PASS", "FAIL"])})
    panel = "judge:\n  panel: [{provider: openai}, {provider: anthropic, model: claude-haiku-4-5}]"
    record = await judge_once(judge, extra=panel)
    assert [v.provider for v in record.votes] == ["scripted", "scripted"]
    assert (record.verdict, record.agreement) == ("UNCLEAR", "1/2")
