"""The one step walker: what running a plan's steps means (docs/language.md §3), for every mode.

:class:`Walk` implements ``when``, ``repeat``, fragment scopes, rendering, the attempts of a
tool step (``retry``, ``until``), ``check``, ``save_as``, the wording of step failures, steps
recorded as not run, and the records kept past MAX_DETAILED_STEPS. Only how a tool step's calls
are obtained is left to a :class:`CallSource`: the interpreter calls the tool
(:class:`~.calling.InterpreterCalls`), agent mode hands out the calls its agent made.
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
import anyio.lowlevel

from llm_pytest.errors import ExpressionError
from llm_pytest.expr.parse import Template
from llm_pytest.expr.scope import RunScope
from llm_pytest.interpreter.checks import run_checks, until_error
from llm_pytest.interpreter.details import call_details
from llm_pytest.interpreter.schemacheck import check_schema
from llm_pytest.interpreter.snapshots import Snapshots
from llm_pytest.interpreter.stepping import (
    CallRefused,
    StepFailed,
    compact,
    find_tool,
    loop_variable,
    repeat_count,
    step_record,
    text_of,
    when_holds,
    with_hint,
)
from llm_pytest.model.plan import Plan, RepeatPlan, ScopePlan, StepPlan, ToolCallPlan, render_value
from llm_pytest.model.trace import (
    MAX_DETAILED_STEPS,
    Attempt,
    Phase,
    Raised,
    Redactor,
    RunTrace,
    StepRecord,
)
from llm_pytest.tools.registry import Tool, ToolRegistry

__all__ = ["REPEAT_LIMIT", "Attempted", "CallSource", "NotCalled", "StepCalls", "Walk"]

REPEAT_LIMIT = 1_000_000
"""The most iterations one ``repeat`` block may run: a bigger count is far more likely a typo
than a test, and would run for hours."""


@dataclass(slots=True)
class Attempted:
    """One call of a tool step, as its source obtained it."""

    ok: bool
    args: dict[str, Any]
    result: Any
    error: str | None
    duration_ms: float
    note: str | None = None
    """For the step's record: that a blocking tool's thread was abandoned."""
    stored: Mapping[str, Any] | None = None
    """``stored`` just after the call, when the run's scope does not see the tools' state live."""
    error_types: tuple[str, ...] = ()
    """The names of the failure's class and its bases, most specific first."""
    refused: bool = False
    """The call was refused before the tool ran (an unknown tool, arguments not matching its
    schema): neither ``continue_on_error`` nor ``expect_error`` accepts that."""
    details: Mapping[str, Any] | None = None
    """What the tool told about the call, for ``call`` (an MCP result's ``text``)."""
    raised: Raised | None = None
    """Where in the project's code the failure was raised, when its Python code raised it."""


@dataclass(frozen=True, slots=True)
class NotCalled:
    """A tool step that makes no call: ``error`` fails it, else it is recorded not run."""

    error: str | None = None
    note: str | None = None
    args: Any = None
    """The arguments the record shows (those that were refused)."""
    refused: bool = False
    """``error`` says the call was refused (see :attr:`Attempted.refused`)."""


class StepCalls(Protocol):
    """The calls of one tool step: the first, then one per retry while there are any."""

    async def first(self) -> Attempted: ...

    async def again(self) -> Attempted | None:
        """The next attempt (a retry), or None when there is none."""

    def duration_ms(self) -> float:
        """How long the step's attempts took."""

    def note(self) -> str | None:
        """A note for the step's record once its attempts are over, if any."""


class CallSource(Protocol):
    """Where tool steps' calls come from."""

    keep_going: bool
    """Walk every step after a failure too, instead of recording the rest as not run."""

    def open(
        self, walk: Walk, step: ToolCallPlan, tool: Tool, phase: Phase
    ) -> StepCalls | NotCalled:
        """The calls of ``step`` (which calls ``tool``), or why it makes none."""


class Walk:
    """Walks a plan's steps into ``trace`` with ``scope``, the run's names.

    ``failure`` is the run's first failure, if any; ``loop`` the values of the enclosing repeat
    blocks' variables; ``repeats`` those blocks, each with whether it has iterations to go;
    ``deadline`` the time (``anyio.current_time()``) at which the run's ``test.deadline``
    cancels what runs, while it applies.
    """

    def __init__(
        self,
        plan: Plan,
        trace: RunTrace,
        scope: RunScope,
        *,
        registry: ToolRegistry,
        source: CallSource,
        redact: Redactor,
        log: Callable[[str], None] | None = None,
        snapshots: Snapshots | None = None,
    ) -> None:
        self.plan = plan
        self.trace = trace
        self.scope = scope
        self.registry = registry
        self.source = source
        self.redact = redact
        self.log = log
        self.snapshots = snapshots or Snapshots()
        self.failure: str | None = None
        self.loop: dict[str, int] = {}
        self.repeats: list[tuple[RepeatPlan, bool]] = []
        self.deadline: float | None = None

    async def phases(self) -> None:
        """Setup, then the steps (recorded not run after a failed setup, unless walking on)."""
        try:
            setup_ok = await self.steps(self.plan.setup, "setup")
        except anyio.get_cancelled_exc_class():
            if self.past_deadline():
                self.not_run(self.plan.steps, "steps", "the deadline passed")
            raise
        if not setup_ok and not self.source.keep_going:
            self.not_run(self.plan.steps, "steps", "setup failed")
            return
        await self.steps(self.plan.steps, "steps")

    def past_deadline(self) -> bool:
        """Whether the run's deadline applies and has passed (what cancelled its step)."""
        return self.deadline is not None and anyio.current_time() >= self.deadline

    async def teardown(self) -> None:
        """Every teardown step, whatever failed before."""
        await self.steps(self.plan.teardown, "teardown", stop_on_failure=False)

    async def steps(
        self, steps: Sequence[StepPlan], phase: Phase, *, stop_on_failure: bool = True
    ) -> bool:
        """Run ``steps`` in order; False when one failed (the rest are then recorded not run)."""
        stop = stop_on_failure and not self.source.keep_going
        ok = True
        for i, step in enumerate(steps):
            try:
                if isinstance(step, ToolCallPlan):
                    passed = await self._tool_step(step, phase)
                else:
                    passed = await self._block(step, phase)
            except anyio.get_cancelled_exc_class():
                if self.past_deadline():
                    self.not_run(steps[i + 1 :], phase, "the deadline passed")
                raise
            if not passed:
                ok = False
                if stop:
                    self.not_run(steps[i + 1 :], phase, "an earlier step failed")
                    return False
        return ok

    def not_run(self, steps: Sequence[StepPlan], phase: Phase, why: str) -> None:
        """Record ``steps`` as not run, saying ``why``."""
        for step in steps:
            rec = step_record(step, phase, note=why)
            self.keep(rec)

    def fail(self, step_id: str | None, message: str) -> None:
        """Make ``message`` the run's failure, unless it already has one."""
        if self.failure is None:
            self.failure = message
            self.trace.failed_step = step_id

    def keep(self, rec: StepRecord) -> bool:
        """Add ``rec`` to the trace; False past MAX_DETAILED_STEPS records, where a run only
        counts its steps (the step that fails the run is added all the same)."""
        if len(self.trace.steps) >= MAX_DETAILED_STEPS:
            self.trace.elided_steps += 1
            return False
        if self.loop and not rec.loop:
            rec.loop = dict(self.loop)
        self.trace.steps.append(rec)
        return True

    def render(self, value: Any) -> Any:
        """``value`` with its templates filled in; StepFailed saying why one cannot be."""
        try:
            if self.log is not None:
                self._log_interpolations(value)
            return render_value(value, self.scope.view)
        except ExpressionError as exc:
            raise StepFailed(with_hint(exc)) from None

    def text(self, template: Template) -> str:
        """A judge text (``expect``, ``analyze``, verdict) as the run's names render it."""
        return text_of(template, self.scope.view, self.redact)

    def say(self, line: str) -> None:
        """One line of live output (``--llm-verbose``), when anyone listens."""
        if self.log is not None:
            self.log(line)

    # -- block steps -----------------------------------------------------------------------

    async def _block(self, step: RepeatPlan | ScopePlan, phase: Phase) -> bool:
        rec = step_record(step, phase)
        kept = self.keep(rec)
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
        except anyio.get_cancelled_exc_class():
            rec.duration_ms = (time.perf_counter() - start) * 1000
            self._interrupted(step, rec)
            raise
        rec.duration_ms = (time.perf_counter() - start) * 1000
        rec.status = "passed" if ok else "failed"
        return ok

    async def _repeat(self, step: RepeatPlan, phase: Phase, rec: StepRecord) -> bool:
        count = repeat_count(step, self.scope.view, self.redact)
        rec.args = {"count": count, "as": step.var}
        if count > REPEAT_LIMIT:
            raise StepFailed(
                f"`repeat` gives {count:,} iterations, more than the {REPEAT_LIMIT:,} a block "
                "may run"
            )
        names: dict[str, Any] = {}
        ok = True
        with self.scope.bound(names), loop_variable(self.loop, step.var):
            for i in range(count):
                # Steps that never wait would keep a cancellation (Ctrl-C) from ever arriving.
                await anyio.lowlevel.checkpoint()
                names[step.var] = self.loop[step.var] = i
                self.repeats.append((step, i < count - 1))
                try:
                    passed = await self.steps(step.steps, phase)
                finally:
                    self.repeats.pop()
                if not passed:
                    ok = False
                    if not self.source.keep_going:
                        rec.note = f"stopped in iteration {step.var} = {i} of {count}"
                        return False
        return ok

    async def _scope(self, step: ScopePlan, phase: Phase, rec: StepRecord) -> bool:
        bindings = {k: self.render(v) for k, v in step.bindings.items()}
        rec.args = self.redact(bindings)
        with self.scope.bound(bindings):
            return await self.steps(step.steps, phase)

    # -- tool steps ------------------------------------------------------------------------

    async def _tool_step(self, step: ToolCallPlan, phase: Phase) -> bool:
        rec = step_record(step, phase)
        try:
            if step.when is not None and not when_holds(step.when, self.scope.view, rec):
                self.keep(rec)
                return True
            tool = find_tool(self.registry, step)
            calls = self.source.open(self, step, tool, phase)
        except StepFailed as exc:
            kept = self.keep(rec)
            tolerated = step.continue_on_error and not isinstance(exc, CallRefused)
            return self._step_failed(step, rec, kept, str(exc), tolerated)
        # Kept only now: a source may first record calls that came before this step's.
        kept = self.keep(rec)
        if isinstance(calls, NotCalled):
            rec.note = calls.note
            if calls.error is None:
                return True
            rec.args = self.redact(calls.args)
            tolerated = step.continue_on_error and not calls.refused
            return self._step_failed(step, rec, kept, calls.error, tolerated)
        try:
            last, error = await self._attempts(step, calls, rec, kept)
        except anyio.get_cancelled_exc_class():
            rec.duration_ms = calls.duration_ms()
            self._interrupted(step, rec)
            raise
        rec.duration_ms = calls.duration_ms()
        result = last.result if last.ok else None
        expected = step.expect_error is not None
        details = None
        asserted = step.schema is not None or step.snapshot is not None
        written: str | None = None
        if error is None and (step.checks or (expected and (step.save_as or asserted))):
            details = self._details(last, len(rec.attempts), rec.duration_ms)
        # after the error it expected, a step's outcome is its call
        outcome = details if expected else result
        if step.save_as and (error is None if expected else last.ok):
            self.scope.saved[step.save_as] = outcome
        if error is None and step.schema is not None:
            record, error = check_schema(step.schema, outcome, self.redact)
            if kept or error is not None:
                rec.checks.append(record)
        if error is None and step.checks:
            names = self._step_names(result, details)
            records, error = run_checks(step.checks, names, self.redact, keep_passed=kept)
            rec.checks.extend(records)
        if error is None and step.snapshot is not None:
            record, error, written = await self.snapshots.check(step.snapshot, outcome, self.redact)
            if kept or error is not None:
                rec.checks.append(record)
            if written is not None:
                self.say(f"[{written}]")
        if kept or error is not None:
            rec.args = self.redact(last.args)
            rec.result = self.redact(result)
            if step.expect_error is not None:
                rec.expect_error = step.expect_error.describe()
            if step.expect is not None:
                rec.expect = self.text(step.expect)
            if step.analyze is not None:
                rec.analyze = self.text(step.analyze)
            note = calls.note()
            if note is not None:
                rec.note = note
        if written is not None:
            rec.note = written if rec.note is None else f"{rec.note}; {written}"
        if error is not None:
            if not last.ok and last.raised is not None:
                rec.raised = last.raised
            tolerated = step.continue_on_error and not last.refused
            return self._step_failed(step, rec, kept, error, tolerated)
        rec.status = "passed"
        return True

    async def _attempts(
        self, step: ToolCallPlan, calls: StepCalls, rec: StepRecord, kept: bool
    ) -> tuple[Attempted, str | None]:
        """Up to ``retry + 1`` attempts, also while ``until`` is false: the last one, and the
        step's error after it (None when it passed)."""
        out = await calls.first()
        number = 1
        while True:
            error = self._attempt(step, calls, out, number, rec, kept)
            if error is None or number > step.retry:
                return out, error
            following = await calls.again()
            if following is None:
                return out, error
            out, number = following, number + 1

    def _attempt(
        self,
        step: ToolCallPlan,
        calls: StepCalls,
        out: Attempted,
        number: int,
        rec: StepRecord,
        kept: bool,
    ) -> str | None:
        """Record attempt ``number``; the error that makes it a failed one. Attempts that
        polled keep their results when the step is kept in detail."""
        attempt = Attempt(number, out.duration_ms, out.ok)
        rec.attempts.append(attempt)
        if out.note is not None:
            rec.note = out.note
        if out.stored is not None:
            self.scope.builtins["stored"] = out.stored
        if not out.ok:
            attempt.error = self.redact(out.error)
        error = _unexpected(step, out)
        if error is not None or step.until is None:
            return error
        details = self._details(out, number, calls.duration_ms())
        names = self._step_names(out.result if out.ok else None, details)
        error = until_error(step.until, names, number)
        if error is not None:
            attempt.ok, attempt.error = False, self.redact(error)
            if kept:
                attempt.result = self.redact(out.result)
        return error

    def _step_names(self, result: Any, call: dict[str, Any] | None) -> ChainMap[str, Any]:
        """The names of a step's `check` and `until`: ``result`` and ``call`` over the run's."""
        names = self.scope.with_result(result)
        names["call"] = call
        return names

    def _details(self, out: Attempted, attempts: int, duration_ms: float) -> dict[str, Any]:
        return call_details(
            ok=out.ok,
            result=out.result,
            error=out.error,
            error_types=out.error_types,
            attempts=attempts,
            duration_ms=duration_ms,
            told=out.details,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _interrupted(self, step: StepPlan, rec: StepRecord) -> None:
        """``step`` was cancelled while it ran: by the run's deadline (the innermost step that
        was running fails the run, naming itself) or from outside."""
        rec.status = "failed"
        if not self.past_deadline():
            rec.error = "cancelled while running"
            return
        if self.failure is None:
            seconds = self.plan.deadline or 0
            self.fail(
                rec.id,
                f'deadline of {seconds:g}s exceeded during step "{step.label}" ({rec.location})',
            )
            rec.error = self.failure
        else:
            rec.error = "the deadline passed while its steps ran"

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
        self.fail(rec.id, f"step `{step.label}` ({rec.id}) at {rec.location} failed: {rec.error}")
        return False

    def _log_interpolations(self, value: Any) -> None:
        if isinstance(value, Template):
            if not value.is_literal:
                try:
                    shown = compact(self.redact(value.render(self.scope.view)))
                except ExpressionError:
                    return
                self.say(f"[interpolate] {value.source} -> {shown}")
        elif isinstance(value, dict):
            for v in value.values():
                self._log_interpolations(v)
        elif isinstance(value, list):
            for v in value:
                self._log_interpolations(v)


def _unexpected(step: ToolCallPlan, out: Attempted) -> str | None:
    """The error of a call that did not go as ``step`` expects, or None: success, unless the
    step expects an error; with ``expect_error``, an error that matches it."""
    expected = step.expect_error
    where = "" if out.raised is None else f" (at {out.raised.at})"
    if out.refused or expected is None:
        return None if out.ok else (out.error or "the tool failed") + where
    if out.ok:
        return f"expected an error {expected.describe()}, but the call succeeded"
    message = out.error or ""
    if expected.accepts(message, out.error_types):
        return None
    got = message
    if expected.type is not None and out.error_types and not message.startswith(out.error_types[0]):
        got = f"{out.error_types[0]}: {message}"
    return f"expected an error {expected.describe()}, got: {got}{where}"
