"""Each provider declares itself once, in its registration: what the option help, the ini keys,
``auto``, the "no judge" reason and agent mode say follows from what is registered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_pytest.api import arun_spec, build_registry
from llm_pytest.judging import registry
from llm_pytest.judging.judge import make_judge
from llm_pytest.judging.registry import no_judge_reason, provider, setting_help

from .support import PASS_JSON, RecordingProvider

AGENT_SPEC = """
test: {name: driven, mode: agent}
judge: {provider: PROVIDER}
steps:
  - tool: list_values
    expect: an empty listing
"""


@pytest.fixture
def in_house() -> Iterator[None]:
    """A provider registered for the test only, reading its key from IN_HOUSE_KEY."""
    saved = dict(registry._PROVIDERS)

    @provider(
        "in-house",
        settings={"endpoint": "the in-house server", "base_url": "the API base URL"},
        key_env="IN_HOUSE_KEY",
        auto_rank=0,
        drives_agent=True,
    )
    def _in_house(*, settings, env, model):  # type: ignore[no-untyped-def]
        return RecordingProvider([PASS_JSON], name="in-house", default_model="ih-1")

    yield
    registry._PROVIDERS.clear()
    registry._PROVIDERS.update(saved)


@pytest.fixture
def empty_path(tmp_path: Path) -> str:
    directory = tmp_path / "empty"
    directory.mkdir()
    return str(directory)


def test_the_help_lists_every_provider_and_the_settings_they_read(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("-p", "no:benchmark", "-p", "no:cacheprovider", "--help")
    shown = " ".join(result.stdout.str().split())
    assert (
        "--llm-provider=NAME judge provider: auto (default), offline, scripted, openai, "
        "anthropic, claude-code, local" in shown
    )
    assert "llm_judge_base_url (string): openai/anthropic judge: the API base URL" in shown
    assert "llm_judge_script (string): scripted judge: a YAML/JSON file of verdicts" in shown


def test_without_a_judge_the_reason_names_the_providers_and_how_auto_finds_them() -> None:
    assert no_judge_reason() == (
        "no judge configured: this spec has natural-language expectations "
        "(expect/analyze/verdict) that need an LLM. Choose one with --llm-provider (scripted, "
        "openai, anthropic, claude-code, local) or ini `llm_provider`; set OPENAI_API_KEY or "
        "ANTHROPIC_API_KEY, or put `claude` on PATH for --llm-provider=auto"
    )


def test_a_setting_is_described_by_the_providers_that_read_it() -> None:
    help_text = setting_help()
    assert help_text["base_url"] == "openai/anthropic judge: the API base URL"
    assert help_text["max_tokens"] == "anthropic/local judge: the answer's token limit"
    assert help_text["script"] == "scripted judge: a YAML/JSON file of verdicts, or module:function"
    assert help_text["timeout"] == "seconds one judge call may take"


@pytest.mark.usefixtures("in_house")
def test_a_registered_provider_joins_the_help_auto_and_the_reason(empty_path: str) -> None:
    assert setting_help()["base_url"] == "openai/anthropic/in-house judge: the API base URL"
    assert setting_help()["endpoint"] == "in-house judge: the in-house server"
    assert "(scripted, openai, anthropic, claude-code, local, in-house)" in no_judge_reason()
    assert "set IN_HOUSE_KEY or OPENAI_API_KEY or ANTHROPIC_API_KEY" in no_judge_reason()

    chosen = make_judge(env={"PATH": empty_path, "IN_HOUSE_KEY": "k", "OPENAI_API_KEY": "k"})
    assert chosen[1] == "judge: in-house ih-1 (auto: IN_HOUSE_KEY is set)"
    assert make_judge(env={"PATH": empty_path})[1] == (
        "judge: offline, natural-language expectations will be UNCLEAR (auto: no `claude` on "
        "PATH, and none of IN_HOUSE_KEY, OPENAI_API_KEY or ANTHROPIC_API_KEY is set; choose one "
        "with --llm-provider)"
    )


@pytest.mark.anyio
async def test_agent_mode_refuses_a_provider_that_cannot_drive_an_agent(
    tmp_path: Path, empty_path: str
) -> None:
    spec = tmp_path / "test_agent.yaml"
    spec.write_text(AGENT_SPEC.replace("PROVIDER", "openai"))
    env = {"PATH": empty_path, "LLM_PYTEST_CLAUDE": ""}  # no agent, whatever this machine has
    result = await arun_spec(spec, env=env, registry=build_registry())
    (run,) = result.runs
    assert (run.outcome, run.reason) == (
        "UNCLEAR",
        "agent mode runs the steps through Claude Code; the spec's judge provider `openai` "
        "cannot call tools (remove `judge.provider` or set it to claude-code)",
    )


@pytest.mark.anyio
@pytest.mark.usefixtures("in_house")
async def test_agent_mode_accepts_a_provider_that_declares_it_drives_an_agent(
    tmp_path: Path, empty_path: str
) -> None:
    spec = tmp_path / "test_agent.yaml"
    spec.write_text(AGENT_SPEC.replace("PROVIDER", "in-house"))
    env = {"PATH": empty_path, "LLM_PYTEST_CLAUDE": ""}  # no agent, whatever this machine has
    result = await arun_spec(spec, env=env, registry=build_registry())
    (run,) = result.runs
    assert run.reason.startswith("no agent configured: agent mode needs the Claude Code CLI")
