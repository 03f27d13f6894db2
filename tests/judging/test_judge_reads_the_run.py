"""The judge is asked about the run as it happened: every text it sees is the one the run
rendered, saved results filled in. Runs go through the interpreter to the ``openai`` provider
and a local server speaking its protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.api import arun_spec, build_registry
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.openai import OpenAIProvider

from .fakes.llm_server import FakeLLMServer, openai_completion
from .support import PASS_JSON

SPEC = """
test:
  name: Make a widget
  description: The widget made is the one reported
vars:
  colour: red
steps:
  - name: Make it
    tool: store_value
    args: {name: widget, value: "${vars.colour}-42"}
    save_as: made
  - name: Report it
    tool: list_values
    expect: "The listing holds ${made.value}"
    analyze: "Compare the listing with ${made.value}."
verdict:
  pass_if: "step made ${made.value}"
  fail_if: "anything but ${made.value} was made"
"""
EXPERIMENT = "experiments:\n  - {name: blue, overrides: {vars.colour: blue}}\n"


async def prompt_sent(server: FakeLLMServer, directory: Path, spec: str = SPEC) -> str:
    """The prompt the provider received for the one run of ``spec``, which it judged PASS."""
    path = directory / "test_widget.yaml"
    path.write_text(spec)
    server.script(openai_completion(PASS_JSON))
    provider = OpenAIProvider(base_url=f"{server.url}/v1", api_key="sk-test")
    result = await arun_spec(path, judge=ProviderJudge(provider), registry=build_registry())
    assert [run.outcome for run in result.runs] == ["PASS"]
    [sent] = server.received
    content: str = sent.body["messages"][-1]["content"]
    return content


@pytest.mark.anyio
async def test_a_verdict_reading_a_saved_name_reaches_the_provider_rendered(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    prompt = await prompt_sent(server, tmp_path)
    assert "Pass if: step made red-42" in prompt
    assert "Fail if: anything but red-42 was made" in prompt
    assert "${" not in prompt


@pytest.mark.anyio
async def test_expect_and_analyze_reading_a_saved_name_reach_the_provider_rendered(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    prompt = await prompt_sent(server, tmp_path)
    assert "Expectation: The listing holds red-42" in prompt
    assert "Analysis instructions:\nCompare the listing with red-42." in prompt


@pytest.mark.anyio
async def test_the_provider_is_told_the_test_its_description_and_its_experiment(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    prompt = await prompt_sent(server, tmp_path, SPEC + EXPERIMENT)
    assert "- Name: Make a widget\n- Experiment: blue\n" in prompt
    assert "- Description: The widget made is the one reported" in prompt
    assert "Pass if: step made blue-42" in prompt
