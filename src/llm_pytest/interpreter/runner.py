"""Runs compiled plans: setup → steps → teardown, with retries, timeouts, repeat and checks.

One :class:`Run` is one iteration of one plan with fresh state. :func:`run_plan` runs an item's
iterations concurrently (bounded) and returns their traces; the outcome of each run follows
LANGUAGE.md §6: a failed step or check is FAIL without asking anyone, a spec without
natural-language text is PASS, anything else is what the judge says.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from llm_pytest.dsl.expr import Expression, Template
from llm_pytest.errors import ExpressionError, LlmPytestError, ToolError
from llm_pytest.interpreter.plan import (
    Plan,
    RepeatPlan,
    ScopePlan,
    StepPlan,
    ToolCallPlan,
    render_value,
)
from llm_pytest.interpreter.scope import EnvView, RunScope
from llm_pytest.interpreter.tools import Tool, ToolContext, ToolRegistry
from llm_pytest.interpreter.trace import (
    MAX_DETAILED_STEPS,
    Attempt,
    CheckRecord,
    Redactor,
    RunTrace,
    StepRecord,
)
from llm_pytest.interpreter.verdict import Judge, OfflineJudge

__all__ = ["Run", "RunSettings", "run_plan"]

Log = Callable[[str], None]
_TEARDOWN_GRACE = 5.0


class RunSettings:
    """What every run of an item shares: tools, judge, environment, live output."""

    def __init__(
        self,
        registry: ToolRegistry,
        *,
        judge: Judge | None = None,
        env: Mapping[str, str] | None = None,
        log: Log | None = None,
        concurrency: int | None = None,
    ) -> None:
        import os

        self.registry = registry
        self.judge: Judge = judge or OfflineJudge()
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.log = log
        self.concurrency = concurrency
        self.redact = Redactor(self.env)


async def run_plan(plan: Plan, settings: RunSettings) -> list[RunTrace]:
    """Run every iteration of ``plan`` (concurrently, bounded) and return their traces in order.

    The MCP servers the plan declares are started once here and shared by its runs.
    """
    registry = settings.registry
    if plan.mcp_servers:
        from llm_pytest.bridge.lifecycle import plan_connections

        async with plan_connections(plan, settings.env) as (tools, unavailable):
            return await _run_iterations(plan, settings, registry.extended(tools, unavailable))
    return await _run_iterations(plan, settings, registry)


async def _run_iterations(
    plan: Plan, settings: RunSettings, registry: ToolRegistry
) -> list[RunTrace]:
    n = plan.iterations
    if n == 1:
        return [await Run(plan, 1, settings, registry).execute()]
    traces: list[RunTrace | None] = [None] * n
    limiter = anyio.CapacityLimiter(max(1, settings.concurrency or min(n, 16)))

    async def one(i: int) -> None:
        async with limiter:
            traces[i] = await Run(plan, i + 1, settings, registry).execute()

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)
    return [t for t in traces if t is not None]


class _StepFailed(Exception):
    """A step failed (after its retries); carries the message for the trace."""


class Run:
    """One iteration of one plan, with fresh state."""

    def __init__(
        self, plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
    ) -> None:
        self.plan = plan
        self.settings = settings
        self.registry = registry
        self.redact = settings.redact
        self.log = settings.log
        self.trace = RunTrace(plan.path, plan.test_name, plan.experiment, iteration)
        self.ctx = ToolContext(env=settings.env)
        self.ctx.resources["spec_dir"] = str(Path(plan.path).resolve().parent)
        self.scope = RunScope(
            {
                "vars": {},
                "env": EnvView(settings.env),
                "stored": self.ctx.stored,
                "iteration": iteration,
                "experiment": plan.experiment,
            }
        )
        self.failure: str | None = None
        self.loop: dict[str, int] = {}

    async def execute(self) -> RunTrace:
        start = time.perf_counter()
        try:
            await self._run_phases()
        finally:
            with anyio.CancelScope(shield=True):
                await self._teardown()
                await self.ctx.aclose()
            self.trace.duration_ms = (time.perf_counter() - start) * 1000
        await self._decide()
        return self.trace

    async def _run_phases(self) -> None:
        try:
            values: dict[str, Any] = self.scope.builtins["vars"]
            for name, value in self.plan.vars.items():
                values[name] = render_value(value, self.scope.view)
        except ExpressionError as exc:
            self._fail(None, f"cannot compute vars: {exc}")
            self._not_run(self.plan.setup + self.plan.steps, "setup", "vars failed")
            return
        if not await self._steps(self.plan.setup, "setup"):
            self._not_run(self.plan.steps, "steps", "setup failed")
            return
        await self._steps(self.plan.steps, "steps")

    async def _teardown(self) -> None:
        await self._steps(self.plan.teardown, "teardown", stop_on_failure=False)

    # -- outcome ---------------------------------------------------------------------------

    async def _decide(self) -> None:
        trace, plan = self.trace, self.plan
        if self.failure is not None:
            trace.outcome, trace.reason = "FAIL", self.failure
            return
        if not plan.needs_judge:
            trace.outcome, trace.reason = "PASS", "all steps and checks passed"
            return
        record = await self.settings.judge(plan, trace)
        trace.judge = record
        trace.outcome, trace.reason = record.verdict, record.reason

    def _fail(self, step_id: str | None, message: str) -> None:
        if self.failure is None:
            self.failure = message
            self.trace.failed_step = step_id

    # -- steps -----------------------------------------------------------------------------

    async def _steps(
        self, steps: Sequence[StepPlan], phase: str, *, stop_on_failure: bool = True
    ) -> bool:
        """Run ``steps`` in order; False when one failed (the rest are then recorded not run)."""
        ok = True
        for i, step in enumerate(steps):
            if not await self._step(step, phase):
                ok = False
                if stop_on_failure:
                    self._not_run(steps[i + 1 :], phase, "an earlier step failed")
                    return False
        return ok

    async def _step(self, step: StepPlan, phase: str) -> bool:
        if isinstance(step, ToolCallPlan):
            return await self._tool_step(step, phase)
        rec = self._record(step, phase)
        try:
            if not self._when(step.when, rec):
                return True
            if isinstance(step, RepeatPlan):
                return await self._repeat(step, phase, rec)
            return await self._scope(step, phase, rec)
        except _StepFailed as exc:
            return self._step_failed(rec, str(exc), False)

    async def _repeat(self, step: RepeatPlan, phase: str, rec: StepRecord) -> bool:
        count = step.count
        if isinstance(count, Expression):
            value = self._eval(count, self.scope.view, "repeat")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _StepFailed(
                    f"`repeat: {count.source}` at {step.location} must give a whole number "
                    f"≥ 0, got {value!r}"
                )
            count = value
        start = time.perf_counter()
        rec.args = {"count": count, "as": step.var}
        ok = True
        outer = self.loop.get(step.var)
        for i in range(count):
            self.scope.push({step.var: i})
            self.loop[step.var] = i
            try:
                ok = await self._steps(step.steps, phase)
            finally:
                self.scope.pop()
            if not ok:
                break
        if outer is None:
            self.loop.pop(step.var, None)
        else:
            self.loop[step.var] = outer
        rec.duration_ms = (time.perf_counter() - start) * 1000
        rec.status = "passed" if ok else "failed"
        return ok

    async def _scope(self, step: ScopePlan, phase: str, rec: StepRecord) -> bool:
        bindings = {k: self._render(v, f"with.{k}") for k, v in step.bindings.items()}
        rec.args = self.redact(bindings)
        start = time.perf_counter()
        self.scope.push(bindings)
        try:
            ok = await self._steps(step.steps, phase)
        finally:
            self.scope.pop()
        rec.duration_ms = (time.perf_counter() - start) * 1000
        rec.status = "passed" if ok else "failed"
        return ok

    async def _tool_step(self, step: ToolCallPlan, phase: str) -> bool:
        rec = self._record(step, phase)
        try:
            if not self._when(step.when, rec):
                return True
            tool = self._tool(step)
            args = self._render(step.args, "args")
            problems = self.registry.validate(tool.name, args)
            if problems:
                raise _StepFailed(
                    f"arguments of `{step.tool}` at {step.location} do not match its schema: "
                    + "; ".join(problems)
                )
        except _StepFailed as exc:
            return self._step_failed(rec, str(exc), step.continue_on_error)
        if self._detailed():
            rec.args = self.redact(args)
        limit = step.timeout if step.timeout is not None else self.plan.timeout
        start = time.perf_counter()
        ok, result, error = await self._attempts(step, tool, args, limit, rec)
        rec.duration_ms = (time.perf_counter() - start) * 1000
        if ok:
            if step.save_as:
                self.scope.saved[step.save_as] = result
            if self._detailed():
                rec.result = self.redact(result)
            error = self._checks(step, result, rec)
        if self._detailed():
            rec.expect = self._text(step.expect)
            rec.analyze = self._text(step.analyze)
        if error is not None:
            return self._step_failed(rec, error, step.continue_on_error)
        rec.status = "passed"
        return True

    async def _attempts(
        self, step: ToolCallPlan, tool: Tool, args: dict[str, Any], limit: float, rec: StepRecord
    ) -> tuple[bool, Any, str | None]:
        """Call the tool up to ``retry + 1`` times; returns (ok, result, error)."""
        total = step.retry + 1
        error: str | None = None
        result: Any = None
        for number in range(1, total + 1):
            if number > 1 and step.retry_delay > 0:
                await anyio.sleep(step.retry_delay)
            self._say(f"[tool] {step.tool}({_compact(self.redact(args))})")
            started = time.perf_counter()
            ok, result, error, note = await self._call(tool, args, limit)
            attempt = Attempt(number, (time.perf_counter() - started) * 1000, ok, error)
            if note:
                rec.note = note
            if ok:
                self._say(f"[tool result] OK: {_compact(self.redact(result))}")
                if step.until is not None:
                    ready = self._eval(
                        step.until, self.scope.with_result(result), "until", soft=True
                    )
                    if ready is not True:
                        error = (
                            f"`until: {step.until.source}` was still false after "
                            f"{number} attempt{'s' if number > 1 else ''}"
                        )
                        attempt.ok, attempt.error = False, error
                        if self._detailed():
                            attempt.result = self.redact(result)
                        rec.attempts.append(attempt)
                        continue
                rec.attempts.append(attempt)
                return True, result, None
            self._say(f"[tool result] ERROR: {error}")
            rec.attempts.append(attempt)
        if step.until is not None and error and error.startswith("`until"):
            rec.result = self.redact(result) if self._detailed() else None
        return False, result, error

    async def _call(
        self, tool: Tool, args: dict[str, Any], limit: float
    ) -> tuple[bool, Any, str | None, str | None]:
        """One call bounded by ``limit`` seconds: (ok, result, error, note)."""
        self.ctx.timeout = limit
        try:
            with anyio.fail_after(limit):
                if tool.blocking:
                    result = await anyio.to_thread.run_sync(
                        tool.func, self.ctx, args, abandon_on_cancel=True
                    )
                else:
                    result = await tool.func(self.ctx, args)
            return True, result, None, None
        except TimeoutError:
            note = (
                "the blocking tool's worker thread was abandoned at the deadline"
                if tool.blocking
                else None
            )
            return False, None, f"timed out after {limit:g}s", note
        except ToolError as exc:
            return False, None, exc.message, None
        except LlmPytestError as exc:
            return False, None, str(exc), None
        except Exception as exc:  # a tool's own bug is the step's failure, not ours
            return False, None, f"{type(exc).__name__}: {exc}", None
        finally:
            self.ctx.timeout = None

    def _checks(self, step: ToolCallPlan, result: Any, rec: StepRecord) -> str | None:
        scope = self.scope.with_result(result)
        first: str | None = None
        for check in step.checks:
            loc = str(check.location)
            try:
                passed = check.evaluate(scope) is True
                error = None
            except ExpressionError as exc:
                passed, error = False, exc.message
            values = check.describe_values(scope)
            rec.checks.append(CheckRecord(check.source, passed, loc, self.redact(values), error))
            if not passed and first is None:
                shown = ", ".join(f"{k} = {v}" for k, v in values)
                detail = f"  ({shown})" if shown else ""
                why = f": {error}" if error else ""
                first = f"check failed at {loc}: {check.source}{detail}{why}"
        return first

    # -- helpers ---------------------------------------------------------------------------

    def _tool(self, step: ToolCallPlan) -> Tool:
        try:
            return self.registry.get(step.tool)
        except ToolError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            raise _StepFailed(f"{step.location}: {exc.message}{hint}") from None

    def _render(self, value: Any, what: str) -> Any:
        try:
            if self.log is not None:
                self._log_interpolations(value)
            return render_value(value, self.scope.view)
        except ExpressionError as exc:
            raise _StepFailed(str(exc) + (f" ({exc.hint})" if exc.hint else "")) from None

    def _log_interpolations(self, value: Any) -> None:
        if isinstance(value, Template):
            if not value.is_literal:
                try:
                    shown = _compact(self.redact(value.render(self.scope.view)))
                except ExpressionError:
                    return
                self._say(f"[interpolate] {value.source} -> {shown}")
        elif isinstance(value, dict):
            for v in value.values():
                self._log_interpolations(v)
        elif isinstance(value, list):
            for v in value:
                self._log_interpolations(v)

    def _text(self, template: Template | None) -> str | None:
        if template is None:
            return None
        try:
            return str(self.redact(template.render(self.scope.view)))
        except ExpressionError:
            return template.source

    def _when(self, cond: Expression | bool | None, rec: StepRecord) -> bool:
        if cond is None or cond is True:
            return True
        value = cond if isinstance(cond, bool) else self._eval(cond, self.scope.view, "when")
        if value is True:
            return True
        rec.status = "skipped"
        rec.note = f"`when: {cond.source if isinstance(cond, Expression) else cond}` was false"
        return False

    def _eval(
        self, expr: Expression, scope: Mapping[str, Any], what: str, soft: bool = False
    ) -> Any:
        try:
            return expr.evaluate(scope)
        except ExpressionError as exc:
            if soft:
                return None
            raise _StepFailed(f"`{what}` failed: {exc}") from None

    def _record(self, step: StepPlan, phase: str) -> StepRecord:
        rec = StepRecord(
            id=step.id,
            phase=phase,  # type: ignore[arg-type]
            kind=step.kind,
            name=step.name,
            tool=step.tool if isinstance(step, ToolCallPlan) else None,
            location=str(step.location),
            loop=dict(self.loop),
            continue_on_error=isinstance(step, ToolCallPlan) and step.continue_on_error,
        )
        if len(self.trace.steps) < MAX_DETAILED_STEPS:
            self.trace.steps.append(rec)
        else:
            self.trace.elided_steps += 1
        return rec

    def _detailed(self) -> bool:
        return self.trace.elided_steps == 0

    def _step_failed(self, rec: StepRecord, message: str, continue_on_error: bool) -> bool:
        rec.status = "failed"
        rec.error = self.redact(message)
        if continue_on_error:
            return True
        where = f"step `{rec.label}` ({rec.id}) at {rec.location}"
        self._fail(rec.id, f"{where} failed: {rec.error}")
        return False

    def _not_run(self, steps: Sequence[StepPlan], phase: str, why: str) -> None:
        for step in steps:
            rec = self._record(step, phase)
            rec.note = why

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)


def _compact(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 500 else text[:497] + "..."
