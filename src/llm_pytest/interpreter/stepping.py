"""The pieces of walking a plan's steps: the run scope, a step's tool, its conditions, its record
and the wording of its failures, used by :class:`~.walker.Walk` and by agent mode before it walks
(vars, records of steps no agent ran), so every trace reads the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from llm_pytest.errors import ExpressionError, ToolError
from llm_pytest.expr.parse import Expression, Template
from llm_pytest.expr.scope import EnvView, FixtureValues, RunScope
from llm_pytest.model.plan import (
    Condition,
    Plan,
    RepeatPlan,
    StepPlan,
    ToolCallPlan,
    render_value,
)
from llm_pytest.model.trace import Phase, Redactor, StepRecord
from llm_pytest.tools.calls import error_text
from llm_pytest.tools.registry import Tool, ToolRegistry

__all__ = [
    "CallRefused",
    "StepFailed",
    "check_args",
    "compact",
    "compute_vars",
    "evaluate",
    "find_tool",
    "loop_variable",
    "new_scope",
    "repeat_count",
    "step_record",
    "text_of",
    "when_holds",
    "with_hint",
]


class StepFailed(Exception):
    """A step failed before or around its tool call; carries the message for the trace."""


class CallRefused(StepFailed):
    """A step's call cannot be made: its tool is unknown or its arguments do not match the
    tool's schema. Neither ``continue_on_error`` nor ``expect_error`` accepts that."""


def new_scope(
    plan: Plan,
    iteration: int,
    env: Mapping[str, str],
    *,
    variables: dict[str, Any],
    stored: dict[str, Any],
    fixtures: FixtureValues,
) -> RunScope:
    """The names a run's expressions see: ``vars``, ``env``, ``fixtures``, ``stored``,
    ``iteration`` and ``experiment``."""
    return RunScope(
        {
            "vars": variables,
            "env": EnvView(env),
            "fixtures": fixtures,
            "stored": stored,
            "iteration": iteration,
            "experiment": plan.experiment,
        }
    )


def compute_vars(plan: Plan, scope: RunScope) -> dict[str, Any]:
    """Fill ``scope``'s ``vars`` in order, each seeing those before it, and return them.
    Raises :class:`ExpressionError` when one cannot be computed."""
    values: dict[str, Any] = scope.builtins["vars"]
    for name, value in plan.vars.items():
        values[name] = render_value(value, scope.view)
    return values


@contextmanager
def loop_variable(loop: dict[str, int], var: str) -> Iterator[None]:
    """Give ``loop[var]`` back its outer value (an enclosing repeat's, or none) when the
    ``with`` block of a repeat using ``var`` ends."""
    outer = loop.get(var)
    try:
        yield
    finally:
        if outer is None:
            loop.pop(var, None)
        else:
            loop[var] = outer


def step_record(step: StepPlan, phase: Phase, **fields: Any) -> StepRecord:
    """A fresh record of ``step`` in ``phase``; ``fields`` set the rest (``loop``, ``note``…)."""
    return StepRecord(
        id=step.id,
        phase=phase,
        kind=step.kind,
        name=step.name,
        tool=step.tool if isinstance(step, ToolCallPlan) else None,
        location=step.location,
        continue_on_error=isinstance(step, ToolCallPlan) and step.continue_on_error,
        **fields,
    )


def find_tool(registry: ToolRegistry, step: ToolCallPlan) -> Tool:
    """The tool ``step`` calls; StepFailed when there is none (the step's failure says where)."""
    try:
        return registry.get(step.tool)
    except ToolError as exc:
        raise CallRefused(error_text(exc)) from None


def check_args(step: ToolCallPlan, tool: Tool, args: Mapping[str, Any]) -> None:
    """StepFailed when ``args`` do not match ``tool``'s input schema, saying how."""
    problems = tool.arguments.problems(args)
    if problems:
        raise CallRefused(
            f"arguments of `{step.tool}` at {step.location} do not match its schema: "
            + "; ".join(problems)
        )


def evaluate(expr: Expression, names: Mapping[str, Any], what: str) -> Any:
    """``expr``'s value; StepFailed saying which part of the step (``what``) failed."""
    try:
        return expr.evaluate(names)
    except ExpressionError as exc:
        raise StepFailed(f"`{what}` failed: {with_hint(exc)}") from None


def when_holds(cond: Condition, names: Mapping[str, Any], rec: StepRecord) -> bool:
    """Whether a step with ``when: cond`` runs; when not, ``rec`` says it was skipped and why."""
    if cond is None or cond is True:
        return True
    value = cond if isinstance(cond, bool) else evaluate(cond, names, "when")
    if value:
        return True
    rec.status = "skipped"
    rec.note = f"`when: {cond.source if isinstance(cond, Expression) else cond}` was false"
    return False


def repeat_count(step: RepeatPlan, names: Mapping[str, Any], redact: Redactor) -> int:
    """How many times a ``repeat`` block runs; StepFailed unless it is a whole number ≥ 0."""
    count = step.count
    if not isinstance(count, Expression):
        return count
    value = evaluate(count, names, "repeat")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StepFailed(
            f"`repeat: {count.source}` must give a whole number ≥ 0, got {compact(redact(value))}"
        )
    return value


def text_of(template: Template, names: Mapping[str, Any], redact: Redactor) -> str:
    """A judge text (``expect``, ``analyze``, verdict) rendered, or as written when it cannot
    be; redacted either way."""
    try:
        return str(redact(template.render(names)))
    except ExpressionError:
        return str(redact(template.source))


def with_hint(exc: ExpressionError) -> str:
    """An expression's error with its hint, as the interpreter words it."""
    return str(exc) + (f" ({exc.hint})" if exc.hint else "")


def compact(value: Any, limit: int = 500) -> str:
    """``value`` as one line of JSON (repr when it is not JSON), cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
