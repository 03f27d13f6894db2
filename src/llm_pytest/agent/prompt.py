"""The prompt of an agent-mode run: the compiled plan rendered for the agent.

The text comes from ``agent_prompt.md.j2`` (shipped with the package), rendered in a Jinja2
sandbox from plain data: steps with their MCP tool names, argument templates as written,
expectations, checks, and the values of ``vars`` (with secrets from the environment redacted).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from llm_pytest.expr.parse import Expression
from llm_pytest.expr.parse import Template as ValueTemplate
from llm_pytest.model.plan import (
    Condition,
    Plan,
    RepeatPlan,
    StepPlan,
    ToolCallPlan,
    value_to_json,
)

__all__ = ["SERVER_NAME", "mcp_tool_name", "render_prompt"]

SERVER_NAME = "llm_pytest"
"""The name of our MCP server in the agent's MCP configuration."""

Redact = Callable[[Any], Any]


def mcp_tool_name(tool: str) -> str:
    """How Claude Code names a tool of our server: ``mcp__llm_pytest__<tool>``."""
    return f"mcp__{SERVER_NAME}__{tool}"


def render_prompt(
    plan: Plan,
    iteration: int,
    variables: Mapping[str, Any],
    canonical: Callable[[str], str],
    redact: Redact,
) -> str:
    """The agent's prompt for run ``iteration`` of ``plan``.

    ``variables`` are the run's computed ``vars``; ``canonical`` maps a step's tool name (or
    alias) to the name our server lists it under.
    """
    phases = [
        {"title": title, "steps": [_step(s, canonical, redact) for s in steps]}
        for title, steps in (
            ("Setup", plan.setup),
            ("Steps", plan.steps),
            ("Teardown", plan.teardown),
        )
        if steps
    ]
    verdict = None
    if plan.verdict is not None:
        verdict = {"pass_if": _text(plan.verdict.pass_if), "fail_if": _text(plan.verdict.fail_if)}
    return _template().render(
        test={
            "name": plan.test_name,
            "experiment": plan.experiment,
            "description": plan.description,
            "iteration": iteration,
            "iterations": plan.iterations,
        },
        vars={name: _json(redact(value)) for name, value in variables.items()},
        phases=phases,
        verdict=verdict,
    )


@cache
def _template() -> Template:
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    source = files("llm_pytest.agent").joinpath("agent_prompt.md.j2").read_text("utf-8")
    return env.from_string(source)


def _step(step: StepPlan, canonical: Callable[[str], str], redact: Redact) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": step.kind,
        "id": step.id,
        "label": step.label,
        "when": _condition(step.when),
    }
    if isinstance(step, ToolCallPlan):
        base.update(
            mcp_tool=mcp_tool_name(canonical(step.tool)),
            args=_json(redact(value_to_json(step.args))),
            save_as=step.save_as,
            retry=step.retry,
            until=step.until.source if step.until is not None else None,
            continue_on_error=step.continue_on_error,
            expect_error=None if step.expect_error is None else step.expect_error.describe(),
            expect=_text(step.expect),
            analyze=_text(step.analyze),
            checks=[check.source for check in step.checks],
        )
        return base
    base["steps"] = [_step(s, canonical, redact) for s in step.steps]
    if isinstance(step, RepeatPlan):
        count = step.count
        base.update(count=count if isinstance(count, int) else f"`{count.source}`", var=step.var)
    else:
        base["bindings"] = _json(redact(value_to_json(step.bindings)))
    return base


def _condition(condition: Condition) -> str | None:
    if isinstance(condition, Expression):
        return condition.source
    return "false" if condition is False else None


def _text(template: ValueTemplate | None) -> str | None:
    return None if template is None else template.source


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
