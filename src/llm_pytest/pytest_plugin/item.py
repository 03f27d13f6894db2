"""A spec item: one test × experiment of a spec file, run by the interpreter.

Tags become markers and keywords; ``xfail`` becomes pytest's own mark and ``skip`` a skip at
setup (a skip mark would lose the spec line in ``-rs``); ``reportinfo`` points at the test's line
in the spec, and so do the item's skips. The outcome is ``ItemResult.outcome`` under the session's
``--llm-unclear`` policy: runs no judge could judge skip the item, a judge that failed fails it,
and otherwise the pass rate is held against ``min_pass_rate``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from llm_pytest.errors import LlmPytestError, ProviderConfigError, UsageError
from llm_pytest.model.plan import Plan
from llm_pytest.model.result import ItemResult
from llm_pytest.pytest_plugin.context import LlmContext, internal_error
from llm_pytest.pytest_plugin.failure import render_failure, skip_reason
from llm_pytest.pytest_plugin.keys import ITEM_RECORDS, SPEC_ITEM
from llm_pytest.reports.records import record_of

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

__all__ = ["SpecFailed", "SpecItem"]


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

    def _tag(self, tag: str) -> None:
        if tag.startswith("_") or any(c in tag for c in ":(\n"):
            self.keywords[tag] = True  # not a possible marker name: a keyword only
            return
        self.config.addinivalue_line("markers", f"{tag}: llm-pytest spec tag")
        self.add_marker(tag)

    def setup(self) -> None:
        if self.plan.skip is not None:
            pytest.skip(self.plan.skip)

    def runtest(self) -> None:
        ctx = LlmContext.of(self.config)
        if ctx.broken_overrides is not None:
            raise UsageError(ctx.broken_overrides)
        try:
            result = ctx.run_item(self.plan, ctx.live_log(), item=self)
        except ProviderConfigError as exc:
            self.session.shouldstop = f"llm-pytest: the judge cannot be used: {exc}"
            raise
        group = self.nodeid.rpartition("::")[0]
        record = record_of(result, nodeid=self.nodeid, group=group, label=self.name)
        self.stash[ITEM_RECORDS] = [record]
        if result.outcome == "skipped":
            pytest.skip(skip_reason(result))
        if result.outcome == "failed":
            raise SpecFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        exc = excinfo.value
        traceback = LlmContext.of(self.config).options.traceback
        if isinstance(exc, SpecFailed):
            return render_failure(exc.result, frames=traceback)
        if traceback:
            return super().repr_failure(excinfo, style)
        if isinstance(exc, LlmPytestError):
            return exc.render()
        return internal_error(exc, f"running {self.plan.item_name}")

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, self.plan.location.line - 1, self.plan.item_name
