"""The interpreter's tool calls: a step's arguments rendered and checked, then the tool called
under the step's time limit, once per attempt (waiting ``retry_delay`` between attempts)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import anyio

from llm_pytest.interpreter.stepping import CallRefused, StepFailed, check_args, compact
from llm_pytest.interpreter.walker import Attempted, NotCalled, StepCalls, Walk
from llm_pytest.model.plan import ToolCallPlan
from llm_pytest.model.trace import Phase, SamplingUsage
from llm_pytest.tools.calls import call_tool, error_types
from llm_pytest.tools.frames import raised_at
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = ["InterpreterCalls"]


class InterpreterCalls:
    """Calls the tools with the run's state ``ctx``."""

    keep_going = False

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    def open(
        self, walk: Walk, step: ToolCallPlan, tool: Tool, phase: Phase
    ) -> StepCalls | NotCalled:
        args: dict[str, Any] | None = None
        try:
            args = walk.render(step.args)
            check_args(step, tool, args)
        except StepFailed as exc:
            return NotCalled(error=str(exc), args=args, refused=isinstance(exc, CallRefused))
        limit = step.timeout if step.timeout is not None else walk.plan.timeout
        return _Calls(walk, step, tool, self.ctx, args, limit)


class _Calls:
    def __init__(
        self,
        walk: Walk,
        step: ToolCallPlan,
        tool: Tool,
        ctx: ToolContext,
        args: dict[str, Any],
        limit: float,
    ) -> None:
        self.walk = walk
        self.step = step
        self.tool = tool
        self.ctx = ctx
        self.args = args
        self.limit = limit
        self.started = time.perf_counter()

    async def first(self) -> Attempted:
        walk = self.walk
        if walk.log is not None:
            walk.say(f"[tool] {self.step.tool}({compact(walk.redact(self.args))})")
        started = time.perf_counter()
        out = await call_tool(self.tool, self.ctx, self.args, self.limit)
        elapsed = (time.perf_counter() - started) * 1000
        _count_sampling(walk.trace.sampling, out.details)
        if walk.log is not None:
            if out.ok:
                walk.say(f"[tool result] OK: {compact(walk.redact(out.result))}")
            else:
                walk.say(f"[tool result] ERROR: {walk.redact(out.error)}")
            if out.note is not None:  # what an MCP server sent during the call, say
                walk.say(f"[tool note] {walk.redact(out.note)}")
        return Attempted(
            out.ok,
            self.args,
            out.result,
            out.error,
            elapsed,
            out.note,
            error_types=error_types(out.failure),
            details=out.details,
            raised=None if out.ok else raised_at(out.failure),
        )

    async def again(self) -> Attempted | None:
        if self.step.retry_delay > 0:
            await anyio.sleep(self.step.retry_delay)
        return await self.first()

    def duration_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def note(self) -> str | None:
        return None


def _count_sampling(usage: SamplingUsage, details: Mapping[str, Any] | None) -> None:
    """Add the judge's answers to the MCP server's sampling requests during a call (recorded
    in ``call.requests`` with their ``usage``) to the run's judge usage."""
    for request in (details or {}).get("requests") or ():
        spent = request.get("usage") if isinstance(request, Mapping) else None
        if isinstance(spent, Mapping):
            usage.add(
                int(spent.get("input_tokens") or 0),
                int(spent.get("output_tokens") or 0),
                float(spent.get("cost_usd") or 0.0),
            )
