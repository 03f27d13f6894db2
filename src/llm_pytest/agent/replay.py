"""The trace of an agent-mode run: the calls the agent made, matched to the plan in plan order.

The plan is walked by the interpreter's :class:`~llm_pytest.interpreter.walker.Walk`, so
``when``, repeat blocks, fragment scopes, ``retry``/``until``, ``check``, ``save_as`` and the
failure wording are the interpreter's; :class:`AgentCalls` hands each tool step the agent's
calls instead of calling the tool:

- a call matches the next plan step whose tool it is; calls to tools no later step uses are
  recorded as extra records (with a note) where they happened, and do not fail the run;
- a step whose tool was never called fails ("the agent never called `tool`"), unless the run
  had already failed or the agent stopped early (then it is recorded as not run);
- further calls to the same tool after a failed attempt (an error, or ``until`` still false)
  are the step's retries, up to ``retry``;
- ``check``, ``until``, ``save_as`` and ``expect_error`` work on the recorded result and error,
  with ``stored`` as it was right after the call; a call the server refused (an unknown tool,
  invalid arguments) fails its step whatever ``continue_on_error`` or ``expect_error`` say;
- a teardown step the agent did not call is run here by the interpreter, after the agent,
  because teardown always runs;
- the walk goes on after a failure, so every call the agent made is in the trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from llm_pytest.errors import ExpressionError
from llm_pytest.interpreter.calling import InterpreterCalls
from llm_pytest.interpreter.runner import RunSettings
from llm_pytest.interpreter.stepping import compact, new_scope
from llm_pytest.interpreter.walker import Attempted, NotCalled, StepCalls, Walk
from llm_pytest.model.plan import Plan, RepeatPlan, ToolCallPlan, iter_tool_calls, render_value
from llm_pytest.model.trace import Attempt, Phase, RunTrace, StepRecord
from llm_pytest.tools.mcp.server import ServedCall
from llm_pytest.tools.registry import Tool, ToolContext, ToolRegistry

__all__ = ["EXTRA_NOTE", "TEARDOWN_NOTE", "AgentCalls", "replay"]

EXTRA_NOTE = "an extra call: no step of the plan asks for it here"
TEARDOWN_NOTE = "run by llm-pytest after the agent, which did not call it"


async def replay(
    plan: Plan,
    trace: RunTrace,
    *,
    settings: RunSettings,
    registry: ToolRegistry,
    context: ToolContext,
    calls: Sequence[ServedCall],
    variables: Mapping[str, Any],
    agent_finished: bool,
) -> str | None:
    """Fill ``trace`` from the agent's ``calls``; the run's first failure, if any.

    ``agent_finished`` says whether the agent ended normally: steps it did not reach are then
    failures, else they are recorded as not run. ``context`` is the run's state (for teardown
    steps run here).
    """
    scope = new_scope(
        plan,
        trace.iteration,
        context.env,
        variables=dict(variables),
        stored={},
        fixtures=settings.fixtures,
    )
    fallback = InterpreterCalls(context)
    source = AgentCalls(plan, registry, calls, agent_finished=agent_finished, fallback=fallback)
    walk = Walk(
        plan,
        trace,
        scope,
        registry=registry,
        source=source,
        redact=settings.redact,
        snapshots=settings.snapshots,
    )
    await walk.phases()
    await walk.teardown()
    source.record_the_rest(walk, "teardown" if plan.teardown else "steps")
    return walk.failure


class AgentCalls:
    """The agent's ``calls``, handed out in plan order (see the module docstring); teardown
    steps the agent did not call get their calls from ``fallback``."""

    keep_going = True

    def __init__(
        self,
        plan: Plan,
        registry: ToolRegistry,
        calls: Sequence[ServedCall],
        *,
        agent_finished: bool,
        fallback: InterpreterCalls,
    ) -> None:
        self.plan = plan
        self.registry = registry
        self.agent_finished = agent_finished
        self.fallback = fallback
        self.calls = sorted(calls, key=lambda call: call.started)
        self.next = 0
        self.extras = 0
        everything = iter_tool_calls(plan.setup + plan.steps + plan.teardown)
        self.order = {step: i for i, step in enumerate(everything)}
        self.later: list[frozenset[str]] = [frozenset()] * (len(everything) + 1)
        for i in range(len(everything) - 1, -1, -1):
            self.later[i] = self.later[i + 1] | {registry.canonical(everything[i].tool)}
        self.bodies: dict[RepeatPlan, frozenset[str]] = {}

    def open(
        self, walk: Walk, step: ToolCallPlan, tool: Tool, phase: Phase
    ) -> StepCalls | NotCalled:
        later = self._later(walk, step)
        while self.peek_tool() is not None and self.peek_tool() != tool.name:
            if self.peek_tool() in later:
                break
            self._extra(walk, self.take(), phase)
        if self.peek_tool() != tool.name:
            return self._missing(walk, step, tool, phase)
        return _Recorded(self, tool.name, _planned_args(step, walk), walk)

    def record_the_rest(self, walk: Walk, phase: Phase) -> None:
        """Record the calls no step took as extra calls in ``phase``."""
        while self.next < len(self.calls):
            self._extra(walk, self.take(), phase)

    def peek_tool(self) -> str | None:
        if self.next >= len(self.calls):
            return None
        return self.registry.canonical(self.calls[self.next].tool)

    def take(self) -> ServedCall:
        call = self.calls[self.next]
        self.next += 1
        return call

    def _missing(
        self, walk: Walk, step: ToolCallPlan, tool: Tool, phase: Phase
    ) -> StepCalls | NotCalled:
        if phase == "teardown":
            calls = self.fallback.open(walk, step, tool, phase)
            if isinstance(calls, NotCalled):
                return replace(calls, note=TEARDOWN_NOTE)
            return _RunHere(calls, self.fallback.ctx)
        if walk.failure is not None:
            return NotCalled(note="an earlier step failed")
        if not self.agent_finished:
            return NotCalled(note="the agent stopped before calling it")
        return NotCalled(error=f"the agent never called `{tool.name}`")

    def _extra(self, walk: Walk, call: ServedCall, phase: Phase) -> None:
        self.extras += 1
        rec = StepRecord(
            id=f"extra{self.extras}",
            phase=phase,
            kind="tool",
            name=None,
            tool=call.tool,
            location=self.plan.location,
            status="passed" if call.ok else "failed",
            error=walk.redact(call.error),
            attempts=[Attempt(1, call.duration_ms, call.ok, walk.redact(call.error))],
            duration_ms=call.duration_ms,
            loop=dict(walk.loop),
            continue_on_error=True,
            note=EXTRA_NOTE,
        )
        if walk.keep(rec):
            rec.args = walk.redact(call.args)
            rec.result = walk.redact(call.result)
        walk.scope.builtins["stored"] = call.stored

    def _later(self, walk: Walk, step: ToolCallPlan) -> frozenset[str]:
        """The tools that steps after ``step`` call, including further rounds of repeats."""
        out = self.later[self.order[step] + 1]
        for block, more in walk.repeats:
            if more:
                out |= self._body(block)
        return out

    def _body(self, block: RepeatPlan) -> frozenset[str]:
        body = self.bodies.get(block)
        if body is None:
            tools = iter_tool_calls(block.steps)
            body = self.bodies[block] = frozenset(self.registry.canonical(s.tool) for s in tools)
        return body


class _Recorded:
    """The agent's calls of one step: the first, then the calls to the same tool right after."""

    def __init__(self, source: AgentCalls, tool: str, planned: Any, walk: Walk) -> None:
        self.source = source
        self.tool = tool
        self.planned = planned
        self.walk = walk
        self.taken: list[ServedCall] = []

    async def first(self) -> Attempted:
        return self._take()

    async def again(self) -> Attempted | None:
        return self._take() if self.source.peek_tool() == self.tool else None

    def duration_ms(self) -> float:
        return sum(call.duration_ms for call in self.taken)

    def note(self) -> str | None:
        if self.planned is None or self.planned == self.taken[-1].args:
            return None
        shown = compact(self.walk.redact(self.planned), 300)
        return f"the agent's arguments differ from the plan's, which are {shown}"

    def _take(self) -> Attempted:
        call = self.source.take()
        self.taken.append(call)
        return Attempted(
            call.ok,
            call.args,
            call.result,
            call.error,
            call.duration_ms,
            stored=call.stored,
            error_types=call.error_types,
            refused=call.refused,
            details=call.details,
        )


class _RunHere:
    """A teardown step's calls made here by the interpreter, with ``stored`` read from the
    run's state after each."""

    def __init__(self, calls: StepCalls, ctx: ToolContext) -> None:
        self.calls = calls
        self.ctx = ctx

    async def first(self) -> Attempted:
        return self._seen(await self.calls.first())

    async def again(self) -> Attempted | None:
        out = await self.calls.again()
        return None if out is None else self._seen(out)

    def duration_ms(self) -> float:
        return self.calls.duration_ms()

    def note(self) -> str | None:
        return TEARDOWN_NOTE

    def _seen(self, out: Attempted) -> Attempted:
        out.stored = dict(self.ctx.stored)
        return out


def _planned_args(step: ToolCallPlan, walk: Walk) -> Any:
    """The step's arguments as the interpreter would send them (None if they cannot be
    computed from what the run recorded)."""
    try:
        return render_value(step.args, walk.scope.view)
    except ExpressionError:
        return None
