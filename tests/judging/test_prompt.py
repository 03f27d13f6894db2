"""The judge prompt: rendered in a sandbox from the run's trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.prompt import JudgePrompt, fenced
from llm_pytest.model.judge import VERDICT_SCHEMA
from llm_pytest.model.trace import CheckRecord, StepRecord

from .support import make_plan, make_trace


def render(template: str | Path | None = None, *, budget: int = 4000, **trace_args: object) -> str:
    plan = make_plan()
    trace = make_trace(plan, **trace_args)  # type: ignore[arg-type]
    return JudgePrompt(template).render(trace, max_result_chars=budget)


def test_the_prompt_holds_the_test_its_steps_expectations_and_verdict() -> None:
    prompt = render()
    assert "- Name: Create user" in prompt
    assert "- Description: Creating a user returns it with an id" in prompt
    assert "### 1. Create a user" in prompt
    assert "tool: `store_value`; status: passed" in prompt
    assert '"name": "Alice"' in prompt
    assert '"stored": "user"' in prompt
    assert '- `result.stored == "user"`: passed (x = 1)' in prompt
    assert "Expectation: The user is stored with the name Alice" in prompt
    assert "Analysis instructions:\nCheck the stored value carefully." in prompt
    assert "Pass if: The user Alice exists" in prompt
    assert "Fail if: The user is missing" in prompt


def test_each_step_shows_its_id_and_findings_are_asked_by_name_without_the_number() -> None:
    prompt = render()
    step_id = make_trace(make_plan()).steps[0].id
    assert f"### 1. Create a user\n\n- Id: `{step_id}`; phase: steps;" in prompt
    assert "its \"name\" is\n  the step's heading without the number, or the step's id" in prompt


def test_the_prompt_includes_the_verdict_schema() -> None:
    assert json.dumps(VERDICT_SCHEMA) in render()


def test_a_long_result_is_cut_to_the_budget_with_a_note() -> None:
    prompt = render(budget=100, result={"rows": ["r" * 30] * 20})
    assert "[result truncated: showing the first 100 of" in prompt
    assert "r" * 30 in prompt
    assert prompt.count("r" * 30) < 5


def test_a_text_result_is_shown_as_text_and_fenced_past_its_backticks() -> None:
    prompt = render(result="line one\n```\nnot the end\n```")
    assert "````text\nline one\n```\nnot the end\n```\n````" in prompt
    assert fenced("a ``` b ````` c", "json").startswith("``````json\n")


def test_steps_that_did_not_run_show_why_and_no_data() -> None:
    plan = make_plan()
    trace = make_trace(plan)
    trace.steps.append(
        StepRecord("teardown.0", "teardown", "tool", None, "sleep", "x:1:1", note="setup failed")
    )
    trace.steps[0].checks.append(CheckRecord("len(result) > 0", False, "x:2:2", error="boom"))
    prompt = JudgePrompt().render(trace, max_result_chars=4000)
    assert (
        "### 2. sleep\n\n- Id: `teardown.0`; phase: teardown; tool: `sleep`; status: not_run\n"
        in (prompt)
    )
    assert "- Note: setup failed" in prompt
    assert "- `len(result) > 0`: failed; boom\n" in prompt
    assert prompt.count("Arguments:") == 1


def test_a_custom_template_sees_the_documented_context(tmp_path: Path) -> None:
    template = tmp_path / "judge.md.j2"
    template.write_text(
        "{{ test.item }}|{% for s in steps %}{{ s.label }}={{ s.status }}{% endfor %}"
        "|{{ verdict.fail_if }}|{{ max_result_chars }}"
    )
    assert render(template, budget=10) == "Create user|Create a user=passed|The user is missing|10"


def test_the_sandbox_refuses_to_reach_python_internals(tmp_path: Path) -> None:
    template = tmp_path / "evil.j2"
    template.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(ProviderConfigError) as exc:
        render(template)
    assert str(exc.value) == (
        f"{template}: the judge template failed: SecurityError: access to attribute "
        "'__class__' of 'str' object is unsafe."
    )


def test_a_template_that_does_not_compile_names_its_line(tmp_path: Path) -> None:
    template = tmp_path / "broken.j2"
    template.write_text("fine\n{% for x in steps %}\nno end")
    with pytest.raises(ProviderConfigError, match=r"broken.j2:3: the judge template does not"):
        JudgePrompt(template)


def test_a_missing_template_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigError, match="cannot read the judge template"):
        JudgePrompt(tmp_path / "nope.j2")


def test_an_undefined_name_in_a_template_is_reported(tmp_path: Path) -> None:
    template = tmp_path / "typo.j2"
    template.write_text("{{ tset.name }}")
    with pytest.raises(ProviderConfigError, match="UndefinedError: 'tset' is undefined"):
        render(template)
