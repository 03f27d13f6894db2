"""Collecting spec files: one :class:`SpecItem` per test × experiment; spec errors as collection
errors in spec terms (``path:line:col``, the source line, a caret and what to do), among them
a requested pytest fixture that is not defined where the spec is, or is parametrized."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from llm_pytest.dsl.compiler import compile_documents
from llm_pytest.dsl.loader import load_file
from llm_pytest.errors import LlmPytestError, SpecError, SpecErrors
from llm_pytest.pytest_plugin.context import LlmContext, display_path, internal_error
from llm_pytest.pytest_plugin.item import SpecItem

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

__all__ = ["SpecFile"]


class SpecFile(pytest.Module):
    """A YAML spec file; each of its documents is a test, each experiment its own item.

    A module to pytest (as a doctest text file is), without a Python object: module-scoped
    fixtures are set up once per spec file, and torn down after its last item.
    """

    obj = None

    def collect(self) -> Iterator[SpecItem]:
        ctx = LlmContext.of(self.config)
        docs = load_file(display_path(self.config, self.path))
        compiled = compile_documents(docs, ctx.overrides())
        ctx.note_compiled(compiled)
        compiled.raise_errors()
        ctx.check_tools(compiled.plans, self.path)
        ctx.note_experiments(compiled.plans, self.nodeid)
        items = [
            SpecItem.from_parent(self, name=plan.item_name, plan=plan) for plan in compiled.plans
        ]
        problems: dict[str, SpecError] = {}
        for item in items:
            for error in item.fixture_errors():
                problems.setdefault(error.render(), error)  # a top-level name: told once
        if problems:
            raise SpecErrors(list(problems.values()))
        yield from items

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | TerminalRepr:
        exc = excinfo.value
        if LlmContext.of(self.config).options.traceback:
            return super().repr_failure(excinfo)
        if isinstance(exc, LlmPytestError):
            return exc.render()
        return internal_error(exc, f"collecting {self.name}")
