"""A spec item: one test × experiment of a spec file, run by the interpreter.

Tags become markers and keywords; ``xfail`` becomes pytest's own mark and ``skip`` a skip at
setup (a skip mark would lose the spec line in ``-rs``); ``reportinfo`` points at the test's line
in the spec, and so do the item's skips. The item takes part in pytest's fixtures as a test
function does: the spec's ``fixtures`` and every autouse fixture visible from the spec are set
up before its runs (with their scopes, ``--setup-show`` and ``--fixtures-per-test``), and the
values of the requested ones are read as ``fixtures.NAME``. The outcome is
``ItemResult.outcome`` under the session's ``--llm-unclear`` policy: runs no judge could judge
skip the item, a judge that failed fails it, and otherwise the pass rate is held against
``min_pass_rate``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.fixtures import TopRequest  # what pytest's own non-Python items (doctests) use

from llm_pytest.errors import (
    LlmPytestError,
    ProviderConfigError,
    SourceLocation,
    SpecError,
    UsageError,
)
from llm_pytest.expr.scope import FixtureValues
from llm_pytest.model.plan import FixtureUse, Plan
from llm_pytest.model.result import ItemResult
from llm_pytest.pytest_plugin.ahead import fixture_values
from llm_pytest.pytest_plugin.context import LlmContext, internal_error
from llm_pytest.pytest_plugin.failure import render_failure, skip_reason
from llm_pytest.pytest_plugin.keys import ITEM_RECORDS, SPEC_ITEM
from llm_pytest.reports.records import ItemRecord, plan_record, record_of

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

__all__ = ["SpecFailed", "SpecItem", "unknown_fixture"]


class SpecFailed(Exception):
    """The item's pass rate is below its ``min_pass_rate``."""

    def __init__(self, result: ItemResult) -> None:
        super().__init__(f"{result.plan.item_name} failed")
        self.result = result


class SpecItem(pytest.Item):
    """One test × experiment of a spec file."""

    def __init__(self, *, plan: Plan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.stash[SPEC_ITEM] = True
        for tag in plan.tags:
            self._tag(tag)
        if plan.xfail is not None:
            self.add_marker(pytest.mark.xfail(reason=plan.xfail, raises=SpecFailed))
        if plan.fixtures:
            self.add_marker(pytest.mark.usefixtures(*plan.fixture_names))
        self._run_error: BaseException | None = None
        # What pytest's fixture machinery reads of an item (as of a doctest item).
        self.obj = None
        self.function = _located(plan.item_name, self.path, plan.location.line)
        self._fixtureinfo = self.session._fixturemanager.getfixtureinfo(
            node=self, func=None, cls=None
        )
        self.fixturenames = self._fixtureinfo.names_closure
        self._initrequest()

    def _initrequest(self) -> None:
        self.funcargs: dict[str, object] = {}
        self._request = TopRequest(self, _ispytest=True)  # type: ignore[arg-type]

    def fixture_errors(self) -> list[SpecError]:
        """A located error for each fixture the spec requests that no one defines here, and
        for each parametrized fixture the item would use (it has one set of runs)."""
        known = self._fixtureinfo.name2fixturedefs
        errors = [
            unknown_fixture(use, self)
            for use in self.plan.fixtures
            if use.name != "request" and not known.get(use.name)
        ]
        requested = {use.name: use.location for use in self.plan.fixtures}
        for name in self.fixturenames:
            defs = known.get(name)
            if defs and defs[-1].params is not None:
                errors.append(_parametrized(name, requested.get(name), self.plan))
        return errors

    def fixture_values(self) -> FixtureValues:
        """The values of the fixtures the spec requests (set up by now)."""
        return fixture_values(self.plan, self.funcargs)

    def _tag(self, tag: str) -> None:
        if tag.startswith("_") or any(c in tag for c in ":(\n"):
            self.keywords[tag] = True  # not a possible marker name: a keyword only
            return
        self.config.addinivalue_line("markers", f"{tag}: llm-pytest spec tag")
        self.add_marker(tag)

    def setup(self) -> None:
        if self.plan.skip is not None:
            pytest.skip(self.plan.skip)
        self._run_error = None
        self._request._fillfixtures()

    def runtest(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self._run_error = exc
            raise

    def _run(self) -> None:
        ctx = LlmContext.of(self.config)
        if ctx.broken_overrides is not None:
            raise UsageError(ctx.broken_overrides)
        try:
            result = ctx.run_item(
                self.plan, ctx.live_log(), item=self, fixtures=self.fixture_values()
            )
        except ProviderConfigError as exc:
            self.session.shouldstop = f"llm-pytest: the judge cannot be used: {exc}"
            raise
        self.stash[ITEM_RECORDS] = [self.record(result)]
        if result.outcome == "skipped":
            pytest.skip(skip_reason(result))
        if result.outcome == "failed":
            raise SpecFailed(result)

    def record(self, result: ItemResult | None = None) -> ItemRecord:
        """The item's record: of its runs, or, when its setup skipped or failed, of none."""
        group = self.nodeid.rpartition("::")[0]
        if result is None:
            return plan_record(
                self.plan, nodeid=self.nodeid, group=group, label=self.name, outcome="skipped"
            )
        return record_of(result, nodeid=self.nodeid, group=group, label=self.name)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        exc = excinfo.value
        traceback = LlmContext.of(self.config).options.traceback
        if isinstance(exc, SpecFailed):
            return render_failure(exc.result, frames=traceback)
        if exc is not self._run_error:  # a fixture's setup or teardown: as pytest tells it
            return super().repr_failure(excinfo, style)
        if traceback:
            return super().repr_failure(excinfo, style)
        if isinstance(exc, LlmPytestError):
            return exc.render()
        return internal_error(exc, f"running {self.plan.item_name}")

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, self.plan.location.line - 1, self.plan.item_name


def _located(name: str, path: os.PathLike[str], line: int) -> Callable[[], None]:
    """A function that ``inspect`` places at ``path:line`` (``--fixtures-per-test`` shows an
    item's ``function`` location)."""

    def spec_item() -> None:
        """The runs of a spec item."""

    code = spec_item.__code__.replace(
        co_filename=os.fspath(path), co_firstlineno=max(line - 1, 0), co_name=name
    )
    return FunctionType(code, {}, name)


def unknown_fixture(use: FixtureUse, node: pytest.Item) -> SpecError:
    """``use`` names no fixture visible from ``node``: said at the name, with the closest one."""
    fm = node.session._fixturemanager
    names = sorted(n for n in fm._arg2fixturedefs if fm.getfixturedefs(n, node))
    guesses = difflib.get_close_matches(use.name, names, n=1)
    if guesses:
        hint = f"did you mean `{guesses[0]}`?"
    else:
        folder = Path(use.location.path).parent.as_posix()
        hint = (
            f"define `@pytest.fixture def {use.name}(...)` in a conftest.py in the spec's folder "
            f"or above it, or remove the name; `pytest --fixtures {folder}` lists the fixtures "
            "a spec there can use"
        )
    return SpecError(f"the pytest fixture `{use.name}` is not defined", use.location, hint)


def _parametrized(name: str, where: SourceLocation | None, plan: Plan) -> SpecError:
    how = "" if where is not None else " (used through an autouse or another fixture)"
    return SpecError(
        f"the pytest fixture `{name}`{how} is parametrized, and a spec item takes one value of "
        "each fixture",
        where or plan.location,
        hint="give the variants as `experiments:` of the spec, or request a fixture "
        "without `params`",
    )
