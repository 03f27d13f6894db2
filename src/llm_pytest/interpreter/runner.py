"""Runs compiled plans: setup → steps → teardown, with retries, timeouts, repeat and checks.

One :class:`Run` is one iteration of one plan with fresh state (saved names, ``stored`` values,
plugin instances); its steps are walked by :class:`~.walker.Walk`, calling the tools.
:func:`run_plan` runs an item's iterations concurrently (bounded), each the way the settings
say (``RunSettings.execute``), and returns their traces; the outcome of each run follows
docs/language.md §6: a failed step or check is FAIL without asking anyone, a spec without
natural-language text is PASS, anything else is what the judge says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from llm_pytest.errors import ExpressionError, ProviderConfigError
from llm_pytest.expr.scope import NO_FIXTURES, FixtureValues
from llm_pytest.interpreter.calling import InterpreterCalls
from llm_pytest.interpreter.snapshots import Snapshots, ci_is_set
from llm_pytest.interpreter.stepping import compute_vars, new_scope, with_hint
from llm_pytest.interpreter.walker import Walk
from llm_pytest.model.plan import Plan
from llm_pytest.model.trace import JudgeRecord, Redactor, RunTrace
from llm_pytest.model.verdict import Judge, OfflineJudge
from llm_pytest.tools.registry import ToolContext, ToolRegistry

if TYPE_CHECKING:
    from llm_pytest.tools.mcp.lifecycle import ServerSet
    from llm_pytest.tools.mcp.sampling import SamplingAnswerer

__all__ = ["ExecuteRun", "Log", "Run", "RunSettings", "interpret", "run_plan"]

Log = Callable[[str], None]
DEFAULT_CONCURRENCY = 16
"""Runs of one item in flight at once when no concurrency is given."""


ExecuteRun = Callable[[Plan, int, "RunSettings", ToolRegistry], Awaitable[RunTrace]]
"""How one iteration of a plan is executed: ``(plan, iteration, settings, registry) -> trace``."""


class RunSettings:
    """What every run of an item shares: tools, judge, environment, live output, how one run
    is executed (``execute``; by default :func:`interpret`), the extra name patterns of
    secret variables (``redact_names``) and the values of the pytest fixtures the item requested
    (``fixtures``, read as ``fixtures.NAME``; every run of the item sees the same values).
    ``snapshot_update`` rewrites changed snapshots (``--llm-snapshot-update``); a missing one
    fails when ``env`` has ``CI`` set, and is written otherwise. ``sampler`` answers the
    sampling requests of MCP servers declared with ``sampling: judge`` (None: they fail, saying
    that no judge is configured)."""

    def __init__(
        self,
        registry: ToolRegistry,
        *,
        judge: Judge | None = None,
        env: Mapping[str, str] | None = None,
        log: Log | None = None,
        concurrency: int | None = None,
        execute: ExecuteRun | None = None,
        redact_names: Sequence[str] = (),
        fixtures: FixtureValues | None = None,
        snapshot_update: bool = False,
        sampler: SamplingAnswerer | None = None,
    ) -> None:
        self.registry = registry
        self.judge: Judge = judge or OfflineJudge()
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.log = log
        self.concurrency = concurrency
        self.execute: ExecuteRun = execute or interpret
        self.redact = Redactor(self.env, redact_names)
        self.fixtures = fixtures if fixtures is not None else FixtureValues({}, NO_FIXTURES)
        self.snapshots = Snapshots(update=snapshot_update, ci=ci_is_set(self.env))
        self.sampler = sampler


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

    The MCP servers the plan declares with ``scope: run`` (the default) are started for each run
    and stopped after its teardown; those with ``scope: item`` are started once here and shared
    by its runs. Each trace records the start-up time of the servers its run started (a shared
    server's, in the first run's trace).
    """
    if not plan.mcp_servers:
        return await _run_iterations(plan, settings, settings.registry, settings.execute)
    from llm_pytest.tools.mcp.client import disambiguated
    from llm_pytest.tools.mcp.lifecycle import plan_connections
    from llm_pytest.tools.mcp.protocol import servers_in_use

    env, fixtures = settings.env, settings.fixtures
    sampler = settings.sampler
    async with plan_connections(plan, env, fixtures, scope="item", sampler=sampler) as shared:
        _log_servers(settings.log, shared)
        inner = settings.execute

        async def execute(
            plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
        ) -> RunTrace:
            async with plan_connections(
                plan, env, fixtures, iteration=iteration, scope="run", sampler=sampler
            ) as own:
                _log_servers(run_log(settings.log, iteration, plan.iterations), own)
                # One naming over both sets: a tool name a shared and a per-run server would
                # share is ambiguous, as within one set.
                tools = disambiguated([*shared.tools, *own.tools]) if own.tools else shared.tools
                unavailable = {**shared.unavailable, **own.unavailable}
                with servers_in_use({**shared.connections, **own.connections}):
                    trace = await inner(
                        plan, iteration, settings, registry.extended(tools, unavailable)
                    )
            if iteration == 1:
                trace.mcp_startup_ms.update(shared.startup_ms)
            trace.mcp_startup_ms.update(own.startup_ms)
            return trace

        return await _run_iterations(plan, settings, settings.registry, execute)


def _log_servers(log: Log | None, servers: ServerSet) -> None:
    """For ``--llm-verbose``: how long each server took to start, or why it did not."""
    if log is None:
        return
    for name, ms in servers.startup_ms.items():
        log(f"[mcp] server `{name}` started in {ms:.0f} ms")
    for name, error in servers.unavailable.items():
        first = error.message.splitlines()[0]
        log(f"[mcp] {first}" if f"`{name}`" in first else f"[mcp] `{name}` did not start: {first}")


async def _run_iterations(
    plan: Plan, settings: RunSettings, registry: ToolRegistry, execute: ExecuteRun
) -> list[RunTrace]:
    n = plan.iterations
    if n == 1:
        return [await execute(plan, 1, settings, registry)]
    traces: list[RunTrace] = []
    errors: list[Exception] = []
    limiter = anyio.CapacityLimiter(max(1, settings.concurrency or min(n, DEFAULT_CONCURRENCY)))

    async def one(i: int) -> None:
        async with limiter:
            try:
                traces.append(await execute(plan, i + 1, settings, registry))
            except Exception as exc:
                # A run that cannot even be set up (its servers' tools clash with others): the
                # item fails with that error as it would with one run, not an exception group.
                errors.append(exc)
                tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)
    if errors:
        raise errors[0]
    return sorted(traces, key=lambda t: t.iteration)


async def interpret(
    plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
) -> RunTrace:
    """Iteration ``iteration`` of ``plan``, run by the interpreter."""
    return await Run(plan, iteration, settings, registry).execute()


class Run:
    """One iteration of one plan, with fresh state."""

    def __init__(
        self, plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
    ) -> None:
        self.plan = plan
        self.settings = settings
        self.redact = settings.redact
        self.trace = RunTrace(
            plan.path,
            plan.test_name,
            plan.experiment,
            iteration,
            description=plan.description,
            iterations=plan.iterations,
        )
        self.ctx = ToolContext(env=settings.env)
        self.ctx.spec_dir = Path(plan.path).resolve().parent
        scope = new_scope(
            plan,
            iteration,
            settings.env,
            variables={},
            stored=self.ctx.stored,
            fixtures=settings.fixtures,
        )
        self.walk = Walk(
            plan,
            self.trace,
            scope,
            registry=registry,
            source=InterpreterCalls(self.ctx),
            redact=settings.redact,
            log=run_log(settings.log, iteration, plan.iterations),
            snapshots=settings.snapshots,
        )

    async def execute(self) -> RunTrace:
        """Run setup, steps and teardown, decide the outcome, and return the trace.

        Teardown and the cleanup of tools (plugin ``cleanup()``, HTTP clients) always happen,
        also when a step failed or timed out and when the run is cancelled from outside.
        """
        walk = self.walk
        start = time.perf_counter()
        try:
            await self._run_phases()
        except anyio.get_cancelled_exc_class():
            walk.fail(None, "the run was cancelled")
            raise
        except Exception as exc:  # our own bug: report it as the run's failure, not a crash
            walk.fail(None, f"internal error of llm-pytest: {type(exc).__name__}: {exc}")
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await walk.teardown()
                except Exception as exc:
                    walk.fail(None, f"internal error of llm-pytest: {type(exc).__name__}: {exc}")
                await self._close()
            self.trace.duration_ms = (time.perf_counter() - start) * 1000
        await self._decide()
        return self.trace

    async def _run_phases(self) -> None:
        walk, plan = self.walk, self.plan
        try:
            compute_vars(plan, walk.scope)
        except ExpressionError as exc:
            walk.fail(None, f"cannot compute vars: {with_hint(exc)}")
            walk.not_run(plan.setup, "setup", "vars failed")
            walk.not_run(plan.steps, "steps", "vars failed")
            return
        if plan.deadline is None:
            await walk.phases()
            return
        # teardown is outside the deadline: it runs afterwards, each step within its timeout
        with anyio.CancelScope(deadline=anyio.current_time() + plan.deadline) as limit:
            walk.deadline = limit.deadline
            try:
                await walk.phases()
            finally:
                walk.deadline = None
        if limit.cancelled_caught:
            walk.fail(None, f"deadline of {plan.deadline:g}s exceeded")
            walk.say(f"[deadline] {walk.failure}")

    async def _close(self) -> None:
        try:
            with anyio.move_on_after(self.plan.timeout) as scope:
                await self.ctx.aclose()
        except Exception as exc:
            self.walk.fail(None, f"cleanup after the run failed: {type(exc).__name__}: {exc}")
            return
        if scope.cancelled_caught:
            self.walk.fail(None, f"cleanup after the run took longer than {self.plan.timeout:g}s")

    # -- outcome ---------------------------------------------------------------------------

    async def _decide(self) -> None:
        trace, plan = self.trace, self.plan
        if plan.verdict is not None:
            texts = {"pass_if": plan.verdict.pass_if, "fail_if": plan.verdict.fail_if}
            trace.verdict = {k: None if t is None else self.walk.text(t) for k, t in texts.items()}
        if self.walk.failure is not None:
            trace.outcome, trace.reason = "FAIL", self.redact(self.walk.failure)
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
            record = JudgeRecord(
                verdict="UNCLEAR", reason=reason, provider=name, unclear="judge_failed"
            )
        self._redact_judge(record)
        trace.judge = record
        trace.outcome, trace.reason = record.verdict, record.reason

    def _redact_judge(self, record: JudgeRecord) -> None:
        redact = self.redact
        record.reason = redact(record.reason)
        record.issues = redact(record.issues)
        record.steps = redact(record.steps)
        record.raw_excerpt = redact(record.raw_excerpt)
        for vote in record.votes:
            self._redact_judge(vote)
