"""Runs compiled plans: setup → steps → teardown, with retries, timeouts, repeat and checks.

One :class:`Run` is one iteration of one plan with fresh state (saved names, ``stored`` values,
plugin instances). :func:`run_plan` runs an item's iterations concurrently (bounded) and returns
their traces; the outcome of each run follows LANGUAGE.md §6: a failed step or check is FAIL
without asking anyone, a spec without natural-language text is PASS, anything else is what the
judge says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from llm_pytest.errors import ExpressionError, ProviderConfigError
from llm_pytest.expr.parse import Template
from llm_pytest.interpreter.checks import run_checks, until_error
from llm_pytest.interpreter.stepping import (
    StepFailed,
    check_args,
    compact,
    compute_vars,
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
    render_value,
)
from llm_pytest.model.trace import (
    MAX_DETAILED_STEPS,
    Attempt,
    JudgeRecord,
    Phase,
    Redactor,
    RunTrace,
    StepRecord,
)
from llm_pytest.model.verdict import Judge, OfflineJudge
from llm_pytest.tools.argcheck import Predicate, compile_schema
from llm_pytest.tools.builtin.files import SPEC_DIR
from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.registry import Tool, ToolContext, ToolRegistry

__all__ = ["Log", "Run", "RunSettings", "run_plan"]

Log = Callable[[str], None]
DEFAULT_CONCURRENCY = 16
"""Runs of one item in flight at once when no concurrency is given."""


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
        self.registry = registry
        self.judge: Judge = judge or OfflineJudge()
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.log = log
        self.concurrency = concurrency
        self.redact = Redactor(self.env)
        self._predicates: dict[str, tuple[Mapping[str, Any], Predicate | None]] = {}

    def surely_valid(self, tool: Tool, args: dict[str, Any]) -> bool:
        """True when ``args`` certainly match the tool's schema (no jsonschema needed)."""
        entry = self._predicates.get(tool.name)
        if entry is None or entry[0] is not tool.input_schema:
            entry = (tool.input_schema, compile_schema(tool.input_schema))
            self._predicates[tool.name] = entry
        predicate = entry[1]
        return predicate is not None and predicate(args)


def run_log(log: Log | None, iteration: int, iterations: int) -> Log | None:
    """The live-output callable of one run: lines of an item with several runs say which."""
    if log is None or iterations == 1:
        return log
    prefix = f"[run {iteration}] "

    def labelled(line: str) -> None:
        log(prefix + line)

    return labelled


async def run_plan(plan: Plan, settings: RunSettings) -> list[RunTrace]:
    """Run every iteration of ``plan`` (concurrently, bounded) and return their traces in order.

    The MCP servers the plan declares are started once here and shared by its runs.
    """
    registry = settings.registry
    if plan.mcp_servers:
        from llm_pytest.tools.mcp.lifecycle import plan_connections

        async with plan_connections(plan, settings.env) as (tools, unavailable):
            return await _run_iterations(plan, settings, registry.extended(tools, unavailable))
    return await _run_iterations(plan, settings, registry)


async def _run_iterations(
    plan: Plan, settings: RunSettings, registry: ToolRegistry
) -> list[RunTrace]:
    n = plan.iterations
    if n == 1:
        return [await _run_one(plan, 1, settings, registry)]
    traces: list[RunTrace] = []
    limiter = anyio.CapacityLimiter(max(1, settings.concurrency or min(n, DEFAULT_CONCURRENCY)))

    async def one(i: int) -> None:
        async with limiter:
            traces.append(await _run_one(plan, i + 1, settings, registry))

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)
    return sorted(traces, key=lambda t: t.iteration)


async def _run_one(
    plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
) -> RunTrace:
    """One iteration: by the interpreter, or by an LLM agent for `mode: agent`."""
    if plan.mode == "agent":
        from llm_pytest.agent.run import run_agent_iteration  # imports the MCP SDK

        return await run_agent_iteration(plan, settings, registry, iteration)
    return await Run(plan, iteration, settings, registry).execute()


class Run:
    """One iteration of one plan, with fresh state."""

    def __init__(
        self, plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
    ) -> None:
        self.plan = plan
        self.settings = settings
        self.registry = registry
        self.redact = settings.redact
        self.log = run_log(settings.log, iteration, plan.iterations)
        self.trace = RunTrace(
            plan.path,
            plan.test_name,
            plan.experiment,
            iteration,
            description=plan.description,
            iterations=plan.iterations,
        )
        self.ctx = ToolContext(env=settings.env)
        self.ctx.resources[SPEC_DIR] = str(Path(plan.path).resolve().parent)
        self.scope = new_scope(plan, iteration, settings.env, variables={}, stored=self.ctx.stored)
        self.failure: str | None = None
        self.loop: dict[str, int] = {}

    async def execute(self) -> RunTrace:
        """Run setup, steps and teardown, decide the outcome, and return the trace.

        Teardown and the cleanup of tools (plugin ``cleanup()``, HTTP clients) always happen,
        also when a step failed or timed out and when the run is cancelled from outside.
        """
        start = time.perf_counter()
        try:
            await self._run_phases()
        except anyio.get_cancelled_exc_class():
            self._fail(None, "the run was cancelled")
            raise
        except Exception as exc:  # our own bug: report it as the run's failure, not a crash
            self._fail(None, f"internal error of llm-pytest: {type(exc).__name__}: {exc}")
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await self._steps(self.plan.teardown, "teardown", stop_on_failure=False)
                except Exception as exc:
                    self._fail(None, f"internal error of llm-pytest: {type(exc).__name__}: {exc}")
                await self._close()
            self.trace.duration_ms = (time.perf_counter() - start) * 1000
        await self._decide()
        return self.trace

    async def _run_phases(self) -> None:
        try:
            compute_vars(self.plan, self.scope)
        except ExpressionError as exc:
            self._fail(None, f"cannot compute vars: {with_hint(exc)}")
            self._not_run(self.plan.setup, "setup", "vars failed")
            self._not_run(self.plan.steps, "steps", "vars failed")
            return
        if not await self._steps(self.plan.setup, "setup"):
            self._not_run(self.plan.steps, "steps", "setup failed")
            return
        await self._steps(self.plan.steps, "steps")

    async def _close(self) -> None:
        try:
            with anyio.move_on_after(self.plan.timeout) as scope:
                await self.ctx.aclose()
        except Exception as exc:
            self._fail(None, f"cleanup after the run failed: {type(exc).__name__}: {exc}")
            return
        if scope.cancelled_caught:
            self._fail(None, f"cleanup after the run took longer than {self.plan.timeout:g}s")

    # -- outcome ---------------------------------------------------------------------------

    async def _decide(self) -> None:
        trace, plan = self.trace, self.plan
        if plan.verdict is not None:
            texts = {"pass_if": plan.verdict.pass_if, "fail_if": plan.verdict.fail_if}
            trace.verdict = {k: None if t is None else self._text(t) for k, t in texts.items()}
        if self.failure is not None:
            trace.outcome, trace.reason = "FAIL", self.redact(self.failure)
            return
        if not plan.needs_judge:
            trace.outcome, trace.reason = "PASS", "all steps and checks passed"
            return
        judge = self.settings.judge
        try:
            record = await judge(trace, plan.judge)
        except ProviderConfigError:
            raise  # a judge that cannot work at all stops the session with one message
        except Exception as exc:  # the protocol says never raise; a broken judge is no verdict
            name = str(getattr(judge, "name", type(judge).__name__))
            reason = f"the judge failed: {type(exc).__name__}: {exc}"
            record = JudgeRecord(verdict="UNCLEAR", reason=reason, provider=name)
        self._redact_judge(record)
        trace.judge = record
        trace.outcome, trace.reason = record.verdict, record.reason

    def _redact_judge(self, record: JudgeRecord) -> None:
        redact = self.redact
        record.reason = redact(record.reason)
        record.issues = redact(record.issues)
        record.steps = redact(record.steps)
        record.raw_excerpt = redact(record.raw_excerpt)

    def _fail(self, step_id: str | None, message: str) -> None:
        if self.failure is None:
            self.failure = message
            self.trace.failed_step = step_id

    # -- steps -----------------------------------------------------------------------------

    async def _steps(
        self, steps: Sequence[StepPlan], phase: Phase, *, stop_on_failure: bool = True
    ) -> bool:
        """Run ``steps`` in order; False when one failed (the rest are then recorded not run)."""
        ok = True
        for i, step in enumerate(steps):
            if isinstance(step, ToolCallPlan):
                passed = await self._tool_step(step, phase)
            else:
                passed = await self._block(step, phase)
            if not passed:
                ok = False
                if stop_on_failure:
                    self._not_run(steps[i + 1 :], phase, "an earlier step failed")
                    return False
        return ok

    async def _block(self, step: RepeatPlan | ScopePlan, phase: Phase) -> bool:
        rec, kept = self._record(step, phase)
        start = time.perf_counter()
        try:
            if not when_holds(step.when, self.scope.view, rec):
                return True
            if isinstance(step, RepeatPlan):
                ok = await self._repeat(step, phase, rec)
            else:
                ok = await self._scope(step, phase, rec)
        except StepFailed as exc:
            return self._step_failed(step, rec, kept, str(exc), False)
        rec.duration_ms = (time.perf_counter() - start) * 1000
        rec.status = "passed" if ok else "failed"
        return ok

    async def _repeat(self, step: RepeatPlan, phase: Phase, rec: StepRecord) -> bool:
        count = repeat_count(step, self.scope.view, self.redact)
        rec.args = {"count": count, "as": step.var}
        names: dict[str, Any] = {}
        with self.scope.bound(names), loop_variable(self.loop, step.var):
            for i in range(count):
                names[step.var] = self.loop[step.var] = i
                if not await self._steps(step.steps, phase):
                    rec.note = f"stopped in iteration {step.var} = {i} of {count}"
                    return False
        return True

    async def _scope(self, step: ScopePlan, phase: Phase, rec: StepRecord) -> bool:
        bindings = {k: self._render(v) for k, v in step.bindings.items()}
        rec.args = self.redact(bindings)
        with self.scope.bound(bindings):
            return await self._steps(step.steps, phase)

    async def _tool_step(self, step: ToolCallPlan, phase: Phase) -> bool:
        rec, kept = self._record(step, phase)
        args: dict[str, Any] | None = None
        try:
            if step.when is not None and not when_holds(step.when, self.scope.view, rec):
                return True
            tool = find_tool(self.registry, step)
            args = self._render(step.args)
            self._validate(step, tool, args)
        except StepFailed as exc:
            rec.args = self.redact(args)
            return self._step_failed(step, rec, kept, str(exc), step.continue_on_error)
        limit = step.timeout if step.timeout is not None else self.plan.timeout
        start = time.perf_counter()
        try:
            ok, has_result, result, error = await self._attempts(step, tool, args, limit, rec, kept)
        except anyio.get_cancelled_exc_class():
            rec.status, rec.error = "failed", "cancelled while running"
            raise
        rec.duration_ms = (time.perf_counter() - start) * 1000
        if has_result:
            if step.save_as:
                self.scope.saved[step.save_as] = result
            if ok and step.checks:
                scope = self.scope.with_result(result)
                records, error = run_checks(step.checks, scope, self.redact, keep_passed=kept)
                rec.checks.extend(records)
        if kept or error is not None:
            rec.args = self.redact(args)
            rec.result = self.redact(result)
            if step.expect is not None:
                rec.expect = self._text(step.expect)
            if step.analyze is not None:
                rec.analyze = self._text(step.analyze)
        if error is not None:
            return self._step_failed(step, rec, kept, error, step.continue_on_error)
        rec.status = "passed"
        return True

    async def _attempts(
        self,
        step: ToolCallPlan,
        tool: Tool,
        args: dict[str, Any],
        limit: float,
        rec: StepRecord,
        kept: bool,
    ) -> tuple[bool, bool, Any, str | None]:
        """Call the tool up to ``retry + 1`` times, also while ``until`` is false.

        Returns (ok, whether the last attempt gave a result, that result, error). Attempts that
        polled keep their results when the step is kept in detail.
        """
        until = step.until
        last: tuple[bool, bool, Any, str | None] = (False, False, None, None)
        for number in range(1, step.retry + 2):
            if number > 1 and step.retry_delay > 0:
                await anyio.sleep(step.retry_delay)
            if self.log is not None:
                self._say(f"[tool] {step.tool}({compact(self.redact(args))})")
            started = time.perf_counter()
            out = await call_tool(tool, self.ctx, args, limit)
            attempt = Attempt(number, (time.perf_counter() - started) * 1000, out.ok)
            rec.attempts.append(attempt)
            if out.note is not None:
                rec.note = out.note
            if not out.ok:
                attempt.error = self.redact(out.error)
                if self.log is not None:
                    self._say(f"[tool result] ERROR: {attempt.error}")
                last = (False, False, None, out.error)
                continue
            if self.log is not None:
                self._say(f"[tool result] OK: {compact(self.redact(out.result))}")
            if until is None:
                return True, True, out.result, None
            error = until_error(until, self.scope.with_result(out.result), number)
            if error is None:
                return True, True, out.result, None
            attempt.ok, attempt.error = False, self.redact(error)
            if kept:
                attempt.result = self.redact(out.result)
            last = (False, True, out.result, error)
        return last

    # -- helpers ---------------------------------------------------------------------------

    def _validate(self, step: ToolCallPlan, tool: Tool, args: dict[str, Any]) -> None:
        if not self.settings.surely_valid(tool, args):
            check_args(self.registry, step, tool, args)

    def _render(self, value: Any) -> Any:
        try:
            if self.log is not None:
                self._log_interpolations(value)
            return render_value(value, self.scope.view)
        except ExpressionError as exc:
            raise StepFailed(with_hint(exc)) from None

    def _log_interpolations(self, value: Any) -> None:
        if isinstance(value, Template):
            if not value.is_literal:
                try:
                    shown = compact(self.redact(value.render(self.scope.view)))
                except ExpressionError:
                    return
                self._say(f"[interpolate] {value.source} -> {shown}")
        elif isinstance(value, dict):
            for v in value.values():
                self._log_interpolations(v)
        elif isinstance(value, list):
            for v in value:
                self._log_interpolations(v)

    def _text(self, template: Template) -> str:
        return text_of(template, self.scope.view, self.redact)

    def _record(self, step: StepPlan, phase: Phase) -> tuple[StepRecord, bool]:
        """A new record for ``step`` and whether the trace keeps it in detail.

        Past MAX_DETAILED_STEPS records a run only counts its steps, unless one fails the run.
        """
        kept = len(self.trace.steps) < MAX_DETAILED_STEPS
        rec = step_record(step, phase)
        if kept:
            if self.loop:
                rec.loop = dict(self.loop)
            self.trace.steps.append(rec)
        else:
            self.trace.elided_steps += 1
        return rec, kept

    def _step_failed(
        self, step: StepPlan, rec: StepRecord, kept: bool, message: str, tolerated: bool
    ) -> bool:
        rec.status = "failed"
        rec.error = self.redact(message)
        if tolerated:
            return True
        if not kept:  # the step that fails the run is always in the trace
            if self.loop:
                rec.loop = dict(self.loop)
            self.trace.steps.append(rec)
            self.trace.elided_steps -= 1
        where = f"step `{step.label}` ({rec.id}) at {rec.location}"
        self._fail(rec.id, f"{where} failed: {rec.error}")
        return False

    def _not_run(self, steps: Sequence[StepPlan], phase: Phase, why: str) -> None:
        for step in steps:
            rec, _ = self._record(step, phase)
            rec.note = why

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)
