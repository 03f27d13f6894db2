"""The trace of an agent-mode run: the calls the agent made, matched to the plan in plan order.

The plan is walked as the interpreter would run it (``when``, repeat blocks, fragment scopes),
and each tool step takes the agent's next call to its tool:

- a call matches the next plan step whose tool it is; calls to tools no later step uses are
  recorded as extra records (with a note) where they happened, and do not fail the run;
- a step whose tool was never called fails ("the agent never called `tool`"), unless the run
  had already failed or the agent stopped early (then it is recorded as not run);
- further calls to the same tool after a failed attempt (an error, or ``until`` still false)
  are the step's retries, up to ``retry``;
- ``check``, ``until`` and ``save_as`` work on the recorded result, with ``stored`` as it was
  right after the call, so failures read exactly as the interpreter's;
- a teardown step the agent did not call is run here, after the agent, because teardown always
  runs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import anyio

from llm_pytest.errors import ExpressionError
from llm_pytest.expr.parse import Template
from llm_pytest.interpreter.checks import run_checks, until_error
from llm_pytest.interpreter.stepping import (
    StepFailed,
    check_args,
    compact,
    find_tool,
    loop_variable,
    new_scope,
    repeat_count,
    step_record,
    text_of,
    when_holds,
    with_hint,
)
from llm_pytest.model.plan import (
    Plan,
    RepeatPlan,
    ScopePlan,
    StepPlan,
    ToolCallPlan,
    iter_tool_calls,
    render_value,
)
from llm_pytest.model.trace import (
    MAX_DETAILED_STEPS,
    Attempt,
    Phase,
    Redactor,
    RunTrace,
    StepRecord,
)
from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.mcp.server import ServedCall
from llm_pytest.tools.registry import Tool, ToolContext, ToolRegistry

__all__ = ["Replay"]

EXTRA_NOTE = "an extra call: no step of the plan asks for it here"
TEARDOWN_NOTE = "run by llm-pytest after the agent, which did not call it"


class Replay:
    """Builds ``trace`` from ``calls``; :meth:`run` returns the run's first failure, if any.

    ``agent_finished`` says whether the agent ended normally: steps it did not reach are then
    failures, else they are recorded as not run. ``context`` is the run's state (for teardown
    steps run here).
    """

    def __init__(
        self,
        plan: Plan,
        trace: RunTrace,
        *,
        registry: ToolRegistry,
        context: ToolContext,
        calls: Sequence[ServedCall],
        variables: Mapping[str, Any],
        redact: Redactor,
        agent_finished: bool,
    ) -> None:
        self.plan = plan
        self.trace = trace
        self.registry = registry
        self.context = context
        self.redact = redact
        self.agent_finished = agent_finished
        self.calls = sorted(calls, key=lambda call: call.started)
        self.next = 0
        self.scope = new_scope(
            plan, trace.iteration, context.env, variables=dict(variables), stored={}
        )
        self.loop: dict[str, int] = {}
        self.failure: str | None = None
        self.extras = 0
        everything = iter_tool_calls(plan.setup + plan.steps + plan.teardown)
        self.order = {step: i for i, step in enumerate(everything)}
        self.later: list[frozenset[str]] = [frozenset()] * (len(everything) + 1)
        for i in range(len(everything) - 1, -1, -1):
            self.later[i] = self.later[i + 1] | {self.registry.canonical(everything[i].tool)}
        self.open_repeats: list[frozenset[str]] = []
        """Tools of the enclosing repeat blocks that still have iterations to go."""

    async def run(self) -> str | None:
        await self._steps(self.plan.setup, "setup")
        await self._steps(self.plan.steps, "steps")
        await self._steps(self.plan.teardown, "teardown")
        last: Phase = "teardown" if self.plan.teardown else "steps"
        while self.next < len(self.calls):
            self._extra(self._take(), last)
        return self.failure

    # -- walking the plan ------------------------------------------------------------------

    async def _steps(self, steps: Sequence[StepPlan], phase: Phase) -> bool:
        ok = True
        for step in steps:
            ok = await self._step(step, phase) and ok
        return ok

    async def _step(self, step: StepPlan, phase: Phase) -> bool:
        if isinstance(step, ToolCallPlan):
            return await self._tool_step(step, phase)
        rec = self._record(step, phase)
        self._append(rec)
        try:
            if not when_holds(step.when, self.scope.view, rec):
                return True
            start = time.perf_counter()
            if isinstance(step, RepeatPlan):
                ok = await self._repeat(step, phase, rec)
            else:
                ok = await self._scope(step, phase, rec)
        except StepFailed as exc:
            return self._step_failed(rec, str(exc), False)
        rec.duration_ms = (time.perf_counter() - start) * 1000
        rec.status = "passed" if ok else "failed"
        return ok

    async def _repeat(self, step: RepeatPlan, phase: Phase, rec: StepRecord) -> bool:
        count = repeat_count(step, self.scope.view, self.redact)
        rec.args = {"count": count, "as": step.var}
        body = frozenset(self.registry.canonical(s.tool) for s in iter_tool_calls(step.steps))
        ok = True
        with loop_variable(self.loop, step.var):
            for i in range(count):
                self.loop[step.var] = i
                self.open_repeats.append(body if i < count - 1 else frozenset())
                try:
                    with self.scope.bound({step.var: i}):
                        ok = await self._steps(step.steps, phase) and ok
                finally:
                    self.open_repeats.pop()
        return ok

    async def _scope(self, step: ScopePlan, phase: Phase, rec: StepRecord) -> bool:
        bindings = {k: self._render(v) for k, v in step.bindings.items()}
        rec.args = self.redact(bindings)
        with self.scope.bound(bindings):
            return await self._steps(step.steps, phase)

    async def _tool_step(self, step: ToolCallPlan, phase: Phase) -> bool:
        rec = self._record(step, phase)
        try:
            if not when_holds(step.when, self.scope.view, rec):
                self._append(rec)
                return True
            tool = find_tool(self.registry, step)
        except StepFailed as exc:
            self._append(rec)
            return self._step_failed(rec, str(exc), step.continue_on_error)
        later = self._later(step)
        while self._peek() is not None and self._peek_tool() != tool.name:
            if self._peek_tool() in later:
                break
            self._extra(self._take(), phase)
        self._append(rec)
        if self._peek_tool() != tool.name:
            return await self._missing(step, tool, phase, rec)
        expected = self._expected_args(step)
        attempts = [self._take()]
        error = self._attempt(step, attempts[-1], rec)
        while error is not None and len(attempts) <= step.retry and self._peek_tool() == tool.name:
            attempts.append(self._take())
            error = self._attempt(step, attempts[-1], rec)
        call = attempts[-1]
        rec.duration_ms = sum(a.duration_ms for a in attempts)
        self._set_stored(call)
        if self._detailed():
            rec.args = self.redact(call.args)
            if expected is not None and expected != call.args:
                shown = compact(self.redact(expected), 300)
                rec.note = f"the agent's arguments differ from the plan's, which are {shown}"
        return self._finish(step, rec, call.ok and error is None, call.result, error)

    def _attempt(self, step: ToolCallPlan, call: ServedCall, rec: StepRecord) -> str | None:
        """Record one call as an attempt of ``step``; the error that makes it a failed one."""
        attempt = Attempt(len(rec.attempts) + 1, call.duration_ms, call.ok, self.redact(call.error))
        rec.attempts.append(attempt)
        if not call.ok:
            return call.error or "the tool failed"
        if step.until is None:
            return None
        self._set_stored(call)
        error = until_error(step.until, self.scope.with_result(call.result), attempt.number)
        if error is None:
            return None
        attempt.ok, attempt.error = False, self.redact(error)
        if self._detailed():
            attempt.result = self.redact(call.result)
        return error

    async def _missing(self, step: ToolCallPlan, tool: Tool, phase: Phase, rec: StepRecord) -> bool:
        if phase == "teardown":
            return await self._run_teardown_step(step, tool, rec)
        if self.failure is not None:
            rec.note = "an earlier step failed"
            return True
        if not self.agent_finished:
            rec.note = "the agent stopped before calling it"
            return True
        return self._step_failed(
            rec, f"the agent never called `{tool.name}`", step.continue_on_error
        )

    async def _run_teardown_step(self, step: ToolCallPlan, tool: Tool, rec: StepRecord) -> bool:
        rec.note = TEARDOWN_NOTE
        try:
            args = self._render(step.args)
            check_args(self.registry, step, tool, args)
        except StepFailed as exc:
            return self._step_failed(rec, str(exc), step.continue_on_error)
        if self._detailed():
            rec.args = self.redact(args)
        limit = step.timeout if step.timeout is not None else self.plan.timeout
        start = time.perf_counter()
        for number in range(1, step.retry + 2):
            if number > 1 and step.retry_delay > 0:
                await anyio.sleep(step.retry_delay)
            began = time.perf_counter()
            out = await call_tool(tool, self.context, args, limit)
            elapsed = (time.perf_counter() - began) * 1000
            rec.attempts.append(Attempt(number, elapsed, out.ok, self.redact(out.error)))
            if out.ok:
                break
        rec.duration_ms = (time.perf_counter() - start) * 1000
        self.scope.builtins["stored"] = dict(self.context.stored)
        return self._finish(step, rec, out.ok, out.result, out.error)

    def _finish(
        self, step: ToolCallPlan, rec: StepRecord, ok: bool, result: Any, error: str | None
    ) -> bool:
        if ok:
            if step.save_as:
                self.scope.saved[step.save_as] = result
            if self._detailed():
                rec.result = self.redact(result)
            error = self._checks(step, result, rec)
        elif step.until is not None and self._detailed():
            rec.result = self.redact(result)
        if self._detailed():
            rec.expect = self._text(step.expect)
            rec.analyze = self._text(step.analyze)
        if error is not None:
            return self._step_failed(rec, error, step.continue_on_error)
        rec.status = "passed"
        return True

    def _checks(self, step: ToolCallPlan, result: Any, rec: StepRecord) -> str | None:
        scope = self.scope.with_result(result)
        records, error = run_checks(step.checks, scope, self.redact, keep_passed=self._detailed())
        rec.checks.extend(records)
        return error

    # -- the agent's calls -----------------------------------------------------------------

    def _peek(self) -> ServedCall | None:
        return self.calls[self.next] if self.next < len(self.calls) else None

    def _peek_tool(self) -> str | None:
        call = self._peek()
        return None if call is None else self.registry.canonical(call.tool)

    def _take(self) -> ServedCall:
        call = self.calls[self.next]
        self.next += 1
        return call

    def _extra(self, call: ServedCall, phase: Phase) -> None:
        self.extras += 1
        rec = StepRecord(
            id=f"extra{self.extras}",
            phase=phase,
            kind="tool",
            name=None,
            tool=call.tool,
            location=self.plan.location,
            status="passed" if call.ok else "failed",
            error=self.redact(call.error),
            attempts=[Attempt(1, call.duration_ms, call.ok, self.redact(call.error))],
            duration_ms=call.duration_ms,
            loop=dict(self.loop),
            continue_on_error=True,
            note=EXTRA_NOTE,
        )
        self._append(rec)
        if self._detailed():
            rec.args = self.redact(call.args)
            rec.result = self.redact(call.result)
        self._set_stored(call)

    def _set_stored(self, call: ServedCall) -> None:
        self.scope.builtins["stored"] = call.stored

    def _later(self, step: ToolCallPlan) -> frozenset[str]:
        """The tools that steps after ``step`` call, including further rounds of repeats."""
        out = self.later[self.order[step] + 1]
        for body in self.open_repeats:
            out |= body
        return out

    # -- helpers shared with the interpreter's conventions ---------------------------------

    def _expected_args(self, step: ToolCallPlan) -> Any:
        """The step's arguments as the interpreter would send them (None if they cannot be
        computed from what the run recorded)."""
        try:
            return render_value(step.args, self.scope.view)
        except ExpressionError:
            return None

    def _render(self, value: Any) -> Any:
        try:
            return render_value(value, self.scope.view)
        except ExpressionError as exc:
            raise StepFailed(with_hint(exc)) from None

    def _text(self, template: Template | None) -> str | None:
        if template is None:
            return None
        return text_of(template, self.scope.view, self.redact)

    def _record(self, step: StepPlan, phase: Phase) -> StepRecord:
        return step_record(step, phase, loop=dict(self.loop))

    def _append(self, rec: StepRecord) -> None:
        if len(self.trace.steps) < MAX_DETAILED_STEPS:
            self.trace.steps.append(rec)
        else:
            self.trace.elided_steps += 1

    def _detailed(self) -> bool:
        return self.trace.elided_steps == 0

    def _step_failed(self, rec: StepRecord, message: str, continue_on_error: bool) -> bool:
        rec.status = "failed"
        rec.error = self.redact(message)
        if continue_on_error:
            return True
        if self.failure is None:
            where = f"step `{rec.label}` ({rec.id}) at {rec.location}"
            self.failure = f"{where} failed: {rec.error}"
            self.trace.failed_step = rec.id
        return False
