"""Collecting spec files: one :class:`SpecItem` per test × experiment; spec errors as collection
errors in spec terms (``path:line:col``, the source line, a caret and what to do)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from llm_pytest.dsl.compiler import compile_documents
from llm_pytest.dsl.loader import load_file
from llm_pytest.errors import LlmPytestError, SpecError, SpecErrors, ToolError, ValidationError
from llm_pytest.model.plan import Plan, iter_tool_calls
from llm_pytest.pytest_plugin.context import LlmContext, display_path, internal_error
from llm_pytest.pytest_plugin.item import SpecItem
from llm_pytest.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

__all__ = ["SpecFile"]


class SpecFile(pytest.File):
    """A YAML spec file; each of its documents is a test, each experiment its own item."""

    def collect(self) -> Iterator[SpecItem]:
        ctx = LlmContext.of(self.config)
        docs = load_file(display_path(self.config, self.path))
        compiled = compile_documents(docs, ctx.overrides())
        compiled.raise_errors()
        unknown = _unknown_tools(compiled.plans, ctx.registry_for(self.path))
        if unknown:
            raise SpecErrors(unknown)
        for plan in compiled.plans:
            yield SpecItem.from_parent(self, name=plan.item_name, plan=plan)

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | TerminalRepr:
        exc = excinfo.value
        if LlmContext.of(self.config).options.traceback:
            return super().repr_failure(excinfo)
        if isinstance(exc, LlmPytestError):
            return exc.render()
        return internal_error(exc, f"collecting {self.name}")


def _unknown_tools(plans: list[Plan], registry: ToolRegistry) -> list[SpecError]:
    """A misspelt tool fails at collection, at its step, not halfway through a run.

    Tools of the spec's MCP servers are only known once the servers run, so names under a
    declared server (``<server>_`` or ``<server>.``) are left to the run.
    """
    errors: dict[str, SpecError] = {}
    for plan in plans:
        prefixes = tuple(p for s in plan.mcp_servers for p in (f"{s.name}_", f"{s.name}."))
        steps = plan.setup + plan.steps + plan.teardown
        for call in iter_tool_calls(steps):
            if call.tool in registry or (prefixes and call.tool.startswith(prefixes)):
                continue
            try:
                registry.get(call.tool)
            except ToolError as exc:
                key = str(call.location)
                errors.setdefault(key, ValidationError(exc.message, call.location, exc.hint))
    return list(errors.values())
