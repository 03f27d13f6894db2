"""``--llm-parallel N``: spec items run ahead of their turn, concurrently, in one process.

pytest runs items one after another; a judged item spends most of its time waiting for the
judge. With ``--llm-parallel N`` the runs of up to N spec items are in flight at once on one
event loop in a background thread. pytest still calls each item in collection order, and the
item's ``runtest`` waits for its own runs, so outcomes, reports and ``-x`` behave as without it.

An item runs ahead only when nothing of pytest's has to happen before it: every pytest
fixture it uses is set up already and outlives its turn (session-scoped, or module-scoped and
the item is in the spec file running now; a function-scoped fixture, autouse ones included,
makes it wait), it is not marked ``llm_serial`` or skipped, and it is one of the items this
process will run (under xdist: the ones the controller has sent to this worker). Other items
start in their turn, while items started earlier may still be running. When the session stops
early (``-x``, ``--maxfail``, Ctrl-C), the runs still ahead are cancelled, and their servers
stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import CancelledError, Future
from contextlib import AbstractContextManager, suppress
from typing import Any

import anyio
import anyio.from_thread
import pytest

from llm_pytest.expr.scope import FixtureValues
from llm_pytest.model.plan import Plan
from llm_pytest.model.trace import RunTrace

__all__ = [
    "FIXTURE_NOT_REQUESTED",
    "SERIAL_MARKER",
    "DeferredLog",
    "RunAhead",
    "fixture_values",
    "ready_fixtures",
    "runs_ahead",
]

SERIAL_MARKER = "llm_serial"
"""The marker (also a spec tag) of items that must not run ahead of their turn."""

Log = Callable[[str], None]
Launch = Callable[[Plan, Log | None, FixtureValues | None], Callable[[], Awaitable[list[RunTrace]]]]
"""Prepares the runs of a spec item's plan (with the values of its fixtures, if it has any):
returns the coroutine function that runs them."""


def _plan(item: pytest.Item) -> Plan | None:
    plan = getattr(item, "plan", None)
    return plan if isinstance(plan, Plan) else None


FIXTURE_NOT_REQUESTED = (
    "only the fixtures in `fixtures:` or `test.fixtures:` are readable; add it there"
)
"""Why ``fixtures.NAME`` has no value in a spec item: the spec does not request it."""


def fixture_values(plan: Plan, values: Mapping[str, object]) -> FixtureValues:
    """``fixtures.NAME`` of ``plan``'s runs: the values of the fixtures it requests."""
    return FixtureValues({n: values[n] for n in plan.fixture_names}, FIXTURE_NOT_REQUESTED)


def runs_ahead(item: pytest.Item) -> bool:
    """Whether ``item`` may run before its turn at all (its fixtures permitting: see
    :func:`ready_fixtures`)."""
    plan = _plan(item)
    if plan is None or plan.skip is not None:
        return False
    return not any(item.get_closest_marker(m) for m in (SERIAL_MARKER, "skip", "skipif"))


def ready_fixtures(item: pytest.Item, current: pytest.Item) -> dict[str, object] | None:
    """The values of every fixture ``item`` uses, while ``current`` runs, if each is set up
    already and stays so until ``item``'s turn: session-scoped, or module-scoped with ``item``
    in ``current``'s spec file. None when one is not (``item`` waits for its turn)."""
    info = getattr(item, "_fixtureinfo", None)
    names = getattr(item, "fixturenames", ())
    if not names:
        return {}
    if info is None:
        return None
    values: dict[str, object] = {}
    for name in names:
        if name == "request":
            continue
        defs = info.name2fixturedefs.get(name)
        if not defs:
            return None
        fixturedef = defs[-1]
        scope = fixturedef.scope
        shared = scope == "session" or (scope == "module" and item.parent is current.parent)
        cached = fixturedef.cached_result
        if not shared or fixturedef.params is not None or cached is None or cached[2]:
            return None
        values[name] = cached[0]
    return values


class DeferredLog:
    """Live lines of a run that started ahead: kept until the item's turn, then written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: list[str] = []
        self._target: Log | None = None

    def __call__(self, line: str) -> None:
        with self._lock:
            if self._target is None:
                self._lines.append(line)
                return
            target = self._target
        target(line)

    def attach(self, target: Log) -> None:
        """Write the lines kept so far to ``target``, and every later line as it comes."""
        with self._lock:
            lines, self._lines = self._lines, []
            self._target = target
        for line in lines:
            target(line)


class _Started:
    def __init__(self, future: Future[list[RunTrace]], log: DeferredLog | None) -> None:
        self.future = future
        self.log = log


class RunAhead:
    """The background event loop and the items started on it, by node id."""

    def __init__(self, session: pytest.Session, width: int, launch: Launch, live: bool) -> None:
        self._session = session
        self._width = width
        self._launch = launch
        self._live = live
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] = (
            anyio.from_thread.start_blocking_portal(name="llm-pytest runs")
        )
        self._portal = self._portal_cm.__enter__()
        self._started: dict[str, _Started] = {}
        self._positions: dict[int, int] = {}
        self._closed = False

    def run(
        self, item: pytest.Item, log: Log | None, fixtures: FixtureValues | None = None
    ) -> list[RunTrace]:
        """The traces of ``item``'s runs: started now (with ``fixtures``) unless they already
        run, with up to ``width - 1`` later items started ahead while they run."""
        started = self._started.pop(item.nodeid, None)
        if started is None:
            started = self._start(item, log, fixtures)
        elif started.log is not None and log is not None:
            started.log.attach(log)
        self._top_up(item)
        try:
            return started.future.result()
        except CancelledError:
            raise RuntimeError(f"the runs of {item.nodeid} were cancelled") from None

    def close(self) -> None:
        """Cancel the runs still ahead and stop the loop (waiting for their teardown)."""
        if self._closed:
            return
        self._closed = True
        for started in self._started.values():
            started.future.cancel()
        self._started.clear()
        with suppress(RuntimeError):  # the loop has stopped already
            self._portal.call(self._portal.stop, True)
        self._portal_cm.__exit__(None, None, None)

    def _start(
        self, item: pytest.Item, log: Log | None, fixtures: FixtureValues | None
    ) -> _Started:
        plan = _plan(item)
        if plan is None:
            raise TypeError(f"{item.nodeid} is not a spec item")
        run = self._launch(plan, log, fixtures)
        return _Started(self._portal.start_task_soon(run, name=item.nodeid), None)

    def _top_up(self, current: pytest.Item) -> None:
        room = self._width - 1 - len(self._started)
        if room <= 0 or self._session.shouldstop or self._session.shouldfail:
            return
        for item in self._coming(current):
            if room <= 0:
                break
            plan = _plan(item)
            if plan is None or item.nodeid in self._started or not runs_ahead(item):
                continue
            values = ready_fixtures(item, current)
            if values is None:
                continue
            log = DeferredLog() if self._live else None
            run = self._launch(plan, log, fixture_values(plan, values))
            future = self._portal.start_task_soon(run, name=item.nodeid)
            self._started[item.nodeid] = _Started(future, log)
            room -= 1

    def _coming(self, current: pytest.Item) -> Iterator[pytest.Item]:
        """The items this process runs after ``current``, in order."""
        items = self._session.items
        queued = _xdist_queue(self._session.config)
        if queued is None:
            if len(self._positions) != len(items):
                self._positions = {id(item): at for at, item in enumerate(items)}
            at = self._positions.get(id(current))
            if at is not None:
                yield from items[at + 1 :]
            return
        for index in queued:
            if isinstance(index, int) and 0 <= index < len(items):
                yield items[index]


def _xdist_queue(config: pytest.Config) -> list[Any] | None:
    """Under xdist, the indices of the items the controller has sent this worker and it has
    not started yet; None when not a worker. (pytest-xdist keeps them in its worker plugin's
    ``torun`` queue and ``nextitem_index``; a version without them gives no run-ahead.)"""
    if not hasattr(config, "workerinput"):
        return None
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ != "WorkerInteractor":
            continue
        queue = getattr(plugin, "torun", None)
        lock = getattr(queue, "lock", None)
        if lock is None:
            break
        with lock() as pending:
            indices = list(pending)
        return [getattr(plugin, "nextitem_index", None), *indices]
    return []


class WideScheduling:
    """pytest-xdist's ``--dist load`` scheduler for ``--llm-parallel N``: each worker is kept
    supplied with up to N items (at most its share of the suite), so that it has items to run
    ahead of their turn; xdist's own scheduler sends two at a time."""

    def __init__(self, width: int) -> None:
        self.width = width

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "load":
            return None
        from xdist.scheduler import LoadScheduling  # type: ignore[import-untyped]

        width = self.width

        class _Wide(LoadScheduling):  # type: ignore[misc]
            def schedule(self) -> None:
                first = self.collection is None
                super().schedule()
                if first and self.collection:
                    for node in self.nodes:
                        self._fill(node)

            def check_schedule(self, node: Any, duration: float = 0) -> None:
                super().check_schedule(node, duration)
                self._fill(node)

            def _fill(self, node: Any) -> None:
                if node.shutting_down or not self.pending or not self.collection:
                    return
                share = -(-len(self.collection) // max(1, len(self.nodes)))
                missing = min(width, share) - len(self.node2pending[node])
                if missing > 0:
                    self._send_tests(node, missing)

        return _Wide(config, log)
