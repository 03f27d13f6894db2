"""What spec items and the ``llm_runner`` fixture share in a session: options, judge, tools.

One :class:`LlmContext` per pytest process, kept in the config's stash and made on first use
(at configure time with ``--llm``, so bad options and judge configuration stop the session
before anything runs).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from llm_pytest.dsl.compiler import CompiledFile, compile_file
from llm_pytest.dsl.overrides import NoMatch, Override, overlapping, parse_override
from llm_pytest.errors import LlmPytestError, ProviderConfigError, SpecError, SpecErrors, UsageError
from llm_pytest.expr.scope import FixtureValues
from llm_pytest.interpreter.runner import DEFAULT_CONCURRENCY, RunSettings, run_plan
from llm_pytest.judging.consensus import ConsensusJudge
from llm_pytest.model.plan import JudgePlan, Plan
from llm_pytest.model.result import ItemResult, SpecResult
from llm_pytest.model.trace import JudgeRecord, RunTrace
from llm_pytest.model.verdict import Judge
from llm_pytest.pytest_plugin.keys import CONTEXT
from llm_pytest.pytest_plugin.live import LiveLog
from llm_pytest.pytest_plugin.session_options import LlmOptions, read_options
from llm_pytest.runtime.settings import make_judge, run_settings, setting_overrides
from llm_pytest.runtime.tools import SpecTools, missing_tools
from llm_pytest.tools.registry import ToolNameClash, ToolRegistry

if TYPE_CHECKING:
    from llm_pytest.judging.cache import JudgeCache
    from llm_pytest.pytest_plugin.ahead import RunAhead

__all__ = [
    "LlmContext",
    "display_path",
    "internal_error",
    "is_xdist_worker",
]

JUDGE_CACHE_DIR = "llm-pytest-judge"
"""Under pytest's cache directory (``.pytest_cache/d/``), shared by xdist workers."""


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def display_path(config: pytest.Config, path: Path) -> Path:
    """``path`` as errors and reports show it: relative to where pytest was started, if inside."""
    try:
        return path.relative_to(config.invocation_params.dir)
    except ValueError:
        return path


class LlmContext:
    """Options, the judge and tool registries of one pytest process."""

    def __init__(self, config: pytest.Config, options: LlmOptions) -> None:
        self.config = config
        self.options = options
        self._judge: tuple[Judge, str] | None = None
        self._tools = SpecTools(options.plugin_dirs)
        self._overrides: list[Override] | None = None
        self._ahead: RunAhead | None = None
        self.shadowed: dict[tuple[str, str], list[str]] = {}
        """Session overrides (path as written, source) that replace what experiments set, with
        the ids of those experiments' items."""
        self._matched: set[int] = set()
        self._unmatched: dict[int, NoMatch] = {}
        self.broken_overrides: str | None = None
        """Why the session's overrides cannot run (under xdist, where each item says so)."""

    @classmethod
    def of(cls, config: pytest.Config) -> LlmContext:
        """The context of ``config``, made on first use."""
        ctx = config.stash.get(CONTEXT, None)
        if ctx is None:
            ctx = cls(config, read_options(config))
            config.stash[CONTEXT] = ctx
        return ctx

    # -- judge -------------------------------------------------------------------------------

    @property
    def judge(self) -> Judge:
        return self._made_judge()[0]

    @property
    def judge_description(self) -> str:
        """One line saying which judge is used and why (for the session header)."""
        return self._made_judge()[1]

    def _made_judge(self) -> tuple[Judge, str]:
        if self._judge is None:
            opts = self.options
            try:
                self._judge = make_judge(
                    opts.provider,
                    model=opts.model,
                    settings=opts.judge_settings,
                    cache=self._judge_cache(),
                    cache_mode=opts.cache,
                )
            except (ProviderConfigError, UsageError) as exc:
                raise pytest.UsageError(f"llm-pytest judge: {exc}") from None
        return self._judge

    def _judge_cache(self) -> JudgeCache | None:
        from llm_pytest.judging.cache import JudgeCache

        cache = getattr(self.config, "cache", None)
        return None if cache is None else JudgeCache(cache.mkdir(JUDGE_CACHE_DIR))

    # -- compiling and running ---------------------------------------------------------------

    def overrides(self) -> list[Override]:
        """Session settings, then ``--llm-override``s, in the order they apply (language §6).

        Each applies to the specs it matches; one that matches none of the session's specs is
        an error of the session (:meth:`unmatched_overrides`), not of each file."""
        if self._overrides is None:
            opts = self.options
            try:
                ovs = setting_overrides(
                    iterations=opts.iterations,
                    min_pass_rate=opts.min_pass_rate,
                    timeout=opts.timeout,
                    deadline=opts.deadline,
                    source="the command line or ini "
                    "(--llm-iterations/-min-pass-rate/-timeout/-deadline)",
                )
                ovs += [parse_override(text, source) for text, source in opts.overrides]
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
            self._overrides = [replace(ov, required=False) for ov in ovs]
        return self._overrides

    def note_compiled(self, compiled: CompiledFile) -> None:
        """Count which session overrides the spec file ``compiled`` (compiled with
        :meth:`overrides`) matched."""
        self._matched |= compiled.matched
        for index, error in compiled.unmatched.items():
            self._unmatched.setdefault(index, error)

    def unmatched_overrides(self) -> list[NoMatch]:
        """Session overrides that matched nothing in any spec file collected so far."""
        return [e for i, e in self._unmatched.items() if i not in self._matched]

    def note_experiments(self, plans: Iterable[Plan], file_id: str) -> None:
        """Remember each session override that sets a path an experiment of ``plans`` (items
        of the file ``file_id``) sets too: it wins, so the experiments no longer differ there.
        A default such as ``--llm-deadline``, which gives way to an experiment, is not one."""
        session = [ov for ov in self.overrides() if not ov.unless_set]
        for plan in plans:
            if plan.experiment is None:
                continue
            own = f"experiment `{plan.experiment}`"
            paths = [path for path, _, source in plan.overrides if source == own]
            for ov in session:
                if any(overlapping(ov.target, path) for path in paths):
                    items = self.shadowed.setdefault((ov.path, ov.source), [])
                    items.append(f"{file_id}::{plan.item_name}")

    def registry_for(self, spec_path: str | os.PathLike[str]) -> ToolRegistry:
        """Built-in tools, installed plugins, the ini plugin directories and the spec's own
        ``plugins/`` folder (discovered once per set of directories)."""
        return self._tools.registry(spec_path)

    def check_tools(self, plans: Iterable[Plan], spec_path: str | os.PathLike[str]) -> None:
        """Raise :class:`SpecErrors` at each step of ``plans`` calling a tool no one offers."""
        registry = self.registry_for(spec_path)
        missing = missing_tools(plans, registry, self._tools.dirs(spec_path))
        if missing:
            raise SpecErrors(missing)

    def run_item(
        self,
        plan: Plan,
        log: Callable[[str], None] | None = None,
        *,
        item: pytest.Item | None = None,
        fixtures: FixtureValues | None = None,
    ) -> ItemResult:
        """Every run of ``plan`` (of ``item``, which may have started ahead of its turn under
        ``--llm-parallel``), reading ``fixtures`` as ``fixtures.NAME``; raises
        ``LlmPytestError`` for plugin or judge configuration."""
        ahead = self._run_ahead(item)
        with _our_errors_unwrapped():
            if ahead is not None and item is not None:
                traces = ahead.run(item, log, fixtures)
            else:
                traces = anyio.run(self._launch(plan, log, self.judge, fixtures))
        return ItemResult(plan, traces, self.options.unclear)

    def close(self) -> None:
        """Cancel the runs still ahead of their turn (the session stopped early)."""
        if self._ahead is not None:
            self._ahead.close()

    def _launch(
        self,
        plan: Plan,
        log: Callable[[str], None] | None,
        judge: Judge,
        fixtures: FixtureValues | None = None,
    ) -> Callable[[], Awaitable[list[RunTrace]]]:
        guard = _JudgeGuard(judge)
        settings = self._settings(plan.path, None, log, guard, fixtures)

        async def run() -> list[RunTrace]:
            traces = await _run_plan(plan, settings)
            guard.raise_config_error()
            return traces

        return run

    def _run_ahead(self, item: pytest.Item | None) -> RunAhead | None:
        if item is None or self.options.parallel <= 1:
            return None
        if self._ahead is None:
            from llm_pytest.pytest_plugin.ahead import RunAhead

            limit = self.options.concurrency or DEFAULT_CONCURRENCY
            session_judge = self.judge
            judge: Judge = (
                # the limit counts each vote of a consensus as the judge call it is
                session_judge.around(lambda j: _JudgeLimit(j, limit))
                if isinstance(session_judge, ConsensusJudge)
                else _JudgeLimit(session_judge, limit)
            )
            self._ahead = RunAhead(
                item.session,
                self.options.parallel,
                lambda plan, log, fixtures: self._launch(plan, log, judge, fixtures),
                live=self.live_log() is not None,
            )
        return self._ahead

    def run_file(
        self,
        path: Path,
        overrides: Iterable[Override],
        env: Mapping[str, str] | None,
        log: Callable[[str], None] | None = None,
        fixtures: Callable[[Plan], FixtureValues] | None = None,
    ) -> SpecResult:
        """Compile ``path`` with the session's overrides then ``overrides`` and run every item
        that is not skipped, each reading ``fixtures(plan)`` as ``fixtures.NAME``."""
        plans = compile_file(path, [*self.overrides(), *overrides])
        self.check_tools(plans, path)
        guard = _JudgeGuard(self.judge)
        wanted = [plan for plan in plans if plan.skip is None]
        settings = [
            self._settings(str(path), env, log, guard, fixtures(plan) if fixtures else None)
            for plan in wanted
        ]

        async def main() -> SpecResult:
            result = SpecResult()
            for plan, its_settings in zip(wanted, settings, strict=True):
                runs = await _run_plan(plan, its_settings)
                result.items.append(ItemResult(plan, runs, self.options.unclear))
            return result

        with _our_errors_unwrapped():
            result = anyio.run(main)
        guard.raise_config_error()
        return result

    def live_log(self) -> Callable[[str], None] | None:
        """The ``--llm-verbose`` writer, or None when live lines are not wanted."""
        if not self.options.verbose or is_xdist_worker(self.config):
            return None
        return LiveLog(self.config)

    def _settings(
        self,
        spec_path: str,
        env: Mapping[str, str] | None,
        log: Callable[[str], None] | None,
        judge: Judge,
        fixtures: FixtureValues | None = None,
    ) -> RunSettings:
        return run_settings(
            self.registry_for(spec_path),
            judge=judge,
            env=env,
            log=log,
            concurrency=self.options.concurrency,
            redact_names=self.options.redact,
            fixtures=fixtures,
            snapshot_update=self.options.snapshot_update,
        )


async def _run_plan(plan: Plan, settings: RunSettings) -> list[RunTrace]:
    """``run_plan``, with a tool-name clash of the plan's MCP servers told at the server."""
    try:
        return await run_plan(plan, settings)
    except ToolNameClash as exc:
        raise _clash_at_server(plan, exc) from None


def _clash_at_server(plan: Plan, clash: ToolNameClash) -> LlmPytestError:
    """A clash involving one of ``plan``'s MCP servers, located at its ``mcp_servers.<name>``."""
    servers = {f"mcp:{s.name}": s for s in plan.mcp_servers}
    for tool, other in ((clash.tool, clash.other), (clash.other, clash.tool)):
        server = servers.get(tool.source)
        if server is not None and server.location is not None:
            return SpecError(
                f"MCP server `{server.name}` offers the tool `{clash.name}`, a name already "
                f"used by {other.source}",
                server.location,
                hint="rename the MCP server (its tools are named <server>_<tool>) or the "
                "plugin, so each tool name is unique",
            )
    return clash


class _JudgeLimit:
    """The session's judge with at most ``limit`` calls in flight, shared by the items that run
    at once under ``--llm-parallel`` (all on one event loop)."""

    def __init__(self, judge: Judge, limit: int) -> None:
        self.judge = judge
        self.name = str(getattr(judge, "name", type(judge).__name__))
        self._limit = limit
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def wrapped(self) -> Judge:
        """The judge every run is handed on to."""
        return self.judge

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._limit)
        async with self._limiter:
            return await self.judge(trace, spec)


class _JudgeGuard:
    """The session's judge, remembering a configuration error (a missing key, a rejected one)
    so the item can stop the session with it instead of reporting every run UNCLEAR."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.name = str(getattr(judge, "name", type(judge).__name__))
        self._error: ProviderConfigError | None = None

    @property
    def wrapped(self) -> Judge:
        """The judge every run is handed on to."""
        return self.judge

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        try:
            return await self.judge(trace, spec)
        except ProviderConfigError as exc:
            self._error = self._error or exc
            raise

    def raise_config_error(self) -> None:
        if self._error is not None:
            raise self._error


@contextmanager
def _our_errors_unwrapped() -> Iterator[None]:
    """Concurrent runs raise their errors as a group; one of ours is re-raised on its own."""
    try:
        yield
    except BaseExceptionGroup as group:
        ours = group.subgroup(LlmPytestError)
        if ours is None:
            raise
        first: BaseException = ours
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from group


def internal_error(exc: BaseException, doing: str) -> str:
    """A bug of ours, told in one line; the frames are behind ``--llm-traceback``."""
    return (
        f"internal error of llm-pytest while {doing}: {type(exc).__name__}: {exc}\n"
        "(run with --llm-traceback to see where)"
    )
