"""Tests with errors: the compiler keeps their partial plan, and every error says its kind."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llm_pytest.dsl.compiler import CompiledFile, compile_documents
from llm_pytest.dsl.loader import load_text
from llm_pytest.errors import LoadError, SpecError
from llm_pytest.model.plan import ToolCallPlan


def _compile(text: str, path: str = "p.yaml") -> CompiledFile:
    return compile_documents(load_text(textwrap.dedent(text), path))


def test_a_test_that_compiles_has_no_partial_plan() -> None:
    compiled = _compile(
        """\
        test: {name: fine}
        steps:
          - tool: list_values
        """
    )
    assert len(compiled.plans) == 1
    assert compiled.partial_plans == []


def test_a_test_with_an_undefined_name_keeps_a_complete_partial_plan() -> None:
    compiled = _compile(
        """\
        test: {name: undefined}
        steps:
          - tool: store_value
            args: {name: k, value: "${nope}"}
          - tool: list_values
            check: len(result.values) == 1
        """
    )
    assert compiled.plans == []
    (partial,) = compiled.partial_plans
    assert partial.complete
    assert partial.spec.test.name == "undefined"
    assert [s.tool for s in partial.plan.steps if isinstance(s, ToolCallPlan)] == [
        "store_value",
        "list_values",
    ]


def test_a_partial_plan_lacks_what_does_not_parse_and_says_so() -> None:
    compiled = _compile(
        """\
        test: {name: broken check}
        steps:
          - tool: list_values
            check: result.values ==
        """
    )
    (partial,) = compiled.partial_plans
    assert not partial.complete
    (step,) = partial.plan.steps
    assert isinstance(step, ToolCallPlan)
    assert step.checks == ()


def test_a_fragment_use_that_does_not_resolve_makes_the_partial_plan_incomplete() -> None:
    compiled = _compile(
        """\
        test: {name: unknown fragment}
        steps:
          - use: login
          - tool: list_values
        """
    )
    (partial,) = compiled.partial_plans
    assert not partial.complete
    assert [s.id for s in partial.plan.steps] == ["steps[1]"]


def test_a_test_with_a_duplicate_name_keeps_a_partial_plan() -> None:
    compiled = _compile(
        """\
        test: {name: twice}
        steps: [{tool: list_values}]
        ---
        test: {name: twice}
        steps: [{tool: get_value, args: {name: k}}]
        """
    )
    assert [p.test_name for p in compiled.plans] == ["twice"]
    (partial,) = compiled.partial_plans
    assert partial.complete
    (step,) = partial.plan.steps
    assert isinstance(step, ToolCallPlan) and step.tool == "get_value"


def test_when_every_experiment_breaks_the_partial_plan_is_the_test_as_written() -> None:
    compiled = _compile(
        """\
        test: {name: experiments}
        experiments:
          - name: slow
            overrides: {steps.3.retry: 2}
        steps: [{tool: list_values}]
        """
    )
    assert compiled.plans == []
    (partial,) = compiled.partial_plans
    assert partial.complete
    assert partial.plan.experiment is None
    assert partial.plan.overrides == ()


def test_a_document_that_does_not_validate_has_no_partial_plan() -> None:
    compiled = _compile(
        """\
        test: {name: invalid, timeout: soon}
        steps: [{tool: list_values}]
        """
    )
    assert [e.kind for e in compiled.errors] == ["type"]
    assert compiled.partial_plans == []


KINDS = {
    "unknown_key": "test: {name: k}\nsteps:\n  - tool: t\n    retry_dely: 2\n",
    "missing_key": "test: {name: k}\nsteps:\n  - args: {a: 1}\n",
    "type": "test: {name: k, timeout: soon}\nsteps: [{tool: t}]\n",
    "duplicate_test": (
        "test: {name: k}\nsteps: [{tool: t}]\n---\ntest: {name: k}\nsteps: [{tool: t}]\n"
    ),
    "experiment": (
        "test: {name: k}\nexperiments: [{name: a, overrides: {vars.x: 1}}, "
        "{name: a, overrides: {vars.x: 2}}]\nsteps: [{tool: t}]\n"
    ),
    "syntax": "test: {name: k}\nsteps:\n  - tool: t\n    check: result ==\n",
    "name": "test: {name: k}\nsteps:\n  - tool: t\n    args: {a: '${nope}'}\n",
    "override": (
        "test: {name: k}\nexperiments: [{name: a, overrides: {steps.3.retry: 2}}]\n"
        "steps: [{tool: t}]\n"
    ),
    "fragment": "test: {name: k}\nsteps:\n  - use: login\n",
    "import": "test: {name: k}\nimports: [missing.yaml]\nsteps: [{tool: t}]\n",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_compiler_error_carries_its_kind(kind: str, tmp_path: Path) -> None:
    compiled = _compile(KINDS[kind], str(tmp_path / "k.yaml"))
    assert [e.kind for e in compiled.errors] == [kind], [str(e) for e in compiled.errors]


def test_a_load_error_has_the_load_kind() -> None:
    with pytest.raises(LoadError) as info:
        load_text("test: {name: broken\n", "l.yaml")
    assert info.value.kind == "load"


def test_an_error_without_a_kind_is_of_the_kind_of_its_class() -> None:
    assert SpecError("plugin file cannot be loaded").kind == "spec"
    assert SpecError("x", kind="import").kind == "import"
