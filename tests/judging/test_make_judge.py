"""Choosing the session's judge: auto detection, names, settings, per-spec providers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from llm_pytest.errors import ProviderConfigError, UsageError
from llm_pytest.judging import registry
from llm_pytest.judging.consensus import ConsensusJudge
from llm_pytest.judging.judge import ProviderJudge, SessionJudge, make_judge
from llm_pytest.judging.registry import create_provider, no_judge_reason, provider, provider_names
from llm_pytest.model.verdict import OfflineJudge

from .support import PASS_JSON, RecordingProvider, fake_claude, judge_once, make_plan, make_trace


@pytest.fixture
def empty_path(tmp_path: Path) -> str:
    directory = tmp_path / "empty"
    directory.mkdir()
    return str(directory)


def test_auto_prefers_the_claude_cli_on_path(tmp_path: Path) -> None:
    wrapper = fake_claude(tmp_path)
    env = {"PATH": str(tmp_path), "OPENAI_API_KEY": "k"}
    judge, description = make_judge(env=env)
    assert isinstance(judge, ConsensusJudge)
    assert isinstance(judge.judge, SessionJudge)
    assert description == f"judge: claude-code (auto: `claude` is on PATH at {wrapper})"


@pytest.mark.parametrize(
    ("env", "description"),
    [
        (
            {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"},
            "judge: openai gpt-4.1-mini (auto: OPENAI_API_KEY is set)",
        ),
        (
            {"ANTHROPIC_API_KEY": "k"},
            "judge: anthropic claude-sonnet-4-5 (auto: ANTHROPIC_API_KEY is set)",
        ),
    ],
)
def test_auto_falls_back_to_api_keys(
    env: Mapping[str, str], description: str, empty_path: str
) -> None:
    assert make_judge(env={"PATH": empty_path, **env})[1] == description


@pytest.mark.anyio
async def test_auto_without_any_judge_is_offline_and_says_how_to_configure(
    empty_path: str,
) -> None:
    judge, description = make_judge(env={"PATH": empty_path})
    assert description == (
        "judge: offline, natural-language expectations will be UNCLEAR (auto: no `claude` on "
        "PATH, and neither OPENAI_API_KEY nor ANTHROPIC_API_KEY is set; choose one with "
        "--llm-provider)"
    )
    plan = make_plan()
    record = await judge(make_trace(plan), plan.judge)
    assert (record.verdict, record.reason) == ("UNCLEAR", no_judge_reason())


def test_a_named_provider_and_model_are_shown(empty_path: str) -> None:
    judge, description = make_judge("openai", model="gpt-4o", env={"OPENAI_API_KEY": "k"})
    assert isinstance(judge, ConsensusJudge)
    assert isinstance(judge.judge, ProviderJudge)
    assert description == "judge: openai gpt-4o (set with --llm-provider or ini llm_provider)"
    offline = make_judge("offline")[0]
    assert isinstance(offline, ConsensusJudge)
    assert isinstance(offline.judge, OfflineJudge)


def test_an_unknown_provider_suggests_the_closest_name() -> None:
    with pytest.raises(UsageError, match=r"unknown judge provider `opnai`; did you mean `openai`"):
        make_judge("opnai")
    assert {"auto", "openai", "anthropic", "claude-code", "scripted", "offline", "local"} <= set(
        provider_names()
    )


def test_a_named_provider_that_cannot_work_stops_at_once(empty_path: str) -> None:
    with pytest.raises(ProviderConfigError, match="claude-code judge needs `claude`"):
        make_judge("claude-code", env={"PATH": empty_path})


def test_settings_reach_the_judge(tmp_path: Path) -> None:
    template = tmp_path / "t.j2"
    template.write_text("{{ test.name }}")
    settings = {
        "timeout": "12.5",
        "max_retries": "1",
        "max_result_chars": "500",
        "template": str(template),
        "prices": '{"gpt-4.1-mini": {"input_per_mtok": 9, "output_per_mtok": 9}}',
    }
    made, _ = make_judge("openai", settings=settings, env={"OPENAI_API_KEY": "k"})
    assert isinstance(made, ConsensusJudge)
    judge = made.judge
    assert isinstance(judge, ProviderJudge)
    assert (judge.timeout, judge.max_retries, judge.max_result_chars) == (12.5, 1, 500)
    assert judge.prompt.source_name == str(template)
    assert judge.prices["gpt-4.1-mini"].input_per_mtok == 9


def test_a_bad_setting_names_itself() -> None:
    with pytest.raises(UsageError, match="judge setting `timeout` must be a number, not 'soon'"):
        make_judge("offline", settings={"timeout": "soon"})
    with pytest.raises(UsageError, match="`max_retries` must be at least 0"):
        make_judge("scripted", settings={"script": "x.yaml", "max_retries": "-1"})


@pytest.mark.anyio
async def test_with_auto_a_spec_may_name_its_own_provider(tmp_path: Path, empty_path: str) -> None:
    script = tmp_path / "verdicts.yaml"
    script.write_text("['FAIL']\n")
    judge, _ = make_judge(settings={"script": str(script)}, env={"PATH": empty_path})
    plan = make_plan(extra="judge: {provider: scripted}")
    record = await judge(make_trace(plan), plan.judge)
    assert (record.verdict, record.provider) == ("FAIL", "scripted")


@pytest.mark.anyio
async def test_a_provider_chosen_by_name_judges_every_spec(tmp_path: Path) -> None:
    script = tmp_path / "verdicts.yaml"
    script.write_text("['PASS']\n")
    judge, _ = make_judge("scripted", settings={"script": str(script)})
    plan = make_plan(extra="judge: {provider: openai}")
    record = await judge(make_trace(plan), plan.judge)
    assert (record.verdict, record.provider) == ("PASS", "scripted")


@pytest.mark.anyio
async def test_a_registered_provider_is_found_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_PROVIDERS", dict(registry._PROVIDERS))
    made: list[Mapping[str, object]] = []

    @provider("in-house")
    def _in_house(*, settings, env, model):  # type: ignore[no-untyped-def]
        made.append(settings)
        return RecordingProvider([PASS_JSON], name="in-house", default_model="ih-1")

    judge, description = make_judge("in-house", settings={"flavour": "x"})
    assert description == "judge: in-house ih-1 (set with --llm-provider or ini llm_provider)"
    assert made == [{"flavour": "x"}]
    assert (await judge_once(judge)).verdict == "PASS"


@pytest.mark.anyio
async def test_the_offline_provider_answers_unclear_through_any_judge() -> None:
    plan = make_plan()
    record = await ProviderJudge(create_provider("offline"))(make_trace(plan), plan.judge)
    assert (record.verdict, record.reason) == ("UNCLEAR", no_judge_reason())


@pytest.mark.anyio
async def test_a_spec_naming_an_unknown_provider_stops_with_its_path(empty_path: str) -> None:
    judge, _ = make_judge(env={"PATH": empty_path})
    plan = make_plan(extra="judge: {provider: opnai}")
    with pytest.raises(ProviderConfigError) as exc:
        await judge(make_trace(plan), plan.judge)
    assert str(exc.value).startswith(
        "<string>: judge.provider: unknown judge provider `opnai`; did you mean `openai`?"
    )
