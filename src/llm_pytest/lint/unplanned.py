"""Tool calls of a test the compiler could not plan (it has other errors), read from its spec.

So that one undefined name does not hide a misspelt tool: the tool steps of the validated spec
(outside fragments, which only the compiler expands) become plan steps for the tool checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llm_pytest.dsl.compiler import DEFAULT_RETRY_DELAY
from llm_pytest.dsl.expr import parse_template
from llm_pytest.dsl.loader import Document
from llm_pytest.dsl.spec import RepeatStep, Spec, ToolStep
from llm_pytest.dsl.validate import describe_path
from llm_pytest.errors import ExpressionError
from llm_pytest.interpreter.plan import ToolCallPlan
from llm_pytest.lint.toolcheck import UNKNOWN

__all__ = ["unplanned_tool_calls"]


def unplanned_tool_calls(doc: Document, spec: Spec) -> list[ToolCallPlan]:
    """Every tool step of ``spec`` (setup, steps, teardown, inside repeat blocks)."""
    out: list[ToolCallPlan] = []
    for section in ("setup", "steps", "teardown"):
        _collect(doc, getattr(spec, section), (section,), out)
    return out


def _collect(
    doc: Document, steps: Sequence[Any], path: tuple[str | int, ...], out: list[ToolCallPlan]
) -> None:
    for i, step in enumerate(steps):
        where = (*path, i)
        if isinstance(step, RepeatStep):
            _collect(doc, step.steps, (*where, "steps"), out)
        elif isinstance(step, ToolStep):
            out.append(
                ToolCallPlan(
                    id=describe_path(where),
                    name=step.name,
                    tool=step.tool,
                    args={k: _value(v) for k, v in step.args.items()},
                    save_as=step.save_as,
                    expect=None,
                    analyze=None,
                    checks=(),
                    timeout=step.timeout,
                    retry=step.retry,
                    retry_delay=DEFAULT_RETRY_DELAY
                    if step.retry_delay is None
                    else step.retry_delay,
                    until=None,
                    when=None,
                    continue_on_error=step.continue_on_error,
                    location=doc.locate(list(where)),
                )
            )


def _value(value: Any) -> Any:
    """Strings with ``${`` as templates (their values are unknown), containers walked."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        try:
            return parse_template(value)
        except ExpressionError:  # already reported
            return UNKNOWN
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value
