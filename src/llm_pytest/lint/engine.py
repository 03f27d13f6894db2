"""Lint spec files: each is compiled once, then its plans are checked for tools and smells.

Everything the compiler finds (``CompiledFile.errors``) becomes a finding as it is; the checks
here only read what the compiler built (plans, the partial plans of tests with errors, validated
specs, marked YAML), so linting costs little more than collecting the same files, and a file
with errors gets its warnings and tool findings too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import anyio

from llm_pytest.dsl.compiler import CompiledFile, compile_documents
from llm_pytest.dsl.loader import Document, load_file, load_text
from llm_pytest.dsl.spec import Spec
from llm_pytest.errors import LoadError, SourceLocation, ToolError
from llm_pytest.lint.classify import finding_from_error
from llm_pytest.lint.findings import Finding
from llm_pytest.lint.keys import template_keys
from llm_pytest.lint.mcp import PlanTools, list_plan_tools
from llm_pytest.lint.mcpcalls import check_mcp_calls, elicitation_warnings
from llm_pytest.lint.nodes import StepNodes
from llm_pytest.lint.registries import Registries
from llm_pytest.lint.rules import plan_warnings
from llm_pytest.lint.suppress import CodeFilter
from llm_pytest.lint.toolcheck import check_tool_calls
from llm_pytest.lint.votes import pointless_votes
from llm_pytest.model.plan import Plan, iter_tool_calls
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["LintReport", "LintSettings", "lint_files", "lint_text"]


@dataclass(frozen=True)
class LintSettings:
    """What lint checks beyond the compiler.

    ``registry``: the tools specs may call: one registry for every spec, or
    :class:`Registries` to find them per spec like ``pytest --llm``; None skips tool checks.
    Where plugins fail to load, that is reported (E406) and unknown tool names are not flagged.
    ``mcp``: start declared MCP servers to check their tools, with ``env``.
    """

    registry: ToolRegistry | Registries | None = None
    mcp: bool = False
    env: Mapping[str, str] | None = None
    filter: CodeFilter = field(default_factory=CodeFilter)


@dataclass
class LintReport:
    """The files checked and what was found in them (sorted by path, line, column)."""

    files: list[str]
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when an error (or, with ``strict``, a warning) was found, else 0."""
        return 1 if self.errors or (strict and self.warnings) else 0


@dataclass
class _Unit:
    """One file: what the compiler made of it and the findings so far."""

    path: str
    compiled: CompiledFile | None
    nodes: StepNodes
    findings: list[Finding]


def lint_files(
    paths: Iterable[str | os.PathLike[str]], settings: LintSettings | None = None
) -> LintReport:
    """Lint the spec files at ``paths`` (each path is used as given in locations)."""
    units = [_compile(str(path), None) for path in paths]
    return _finish(units, settings or LintSettings())


def lint_text(
    text: str, path: str = "<string>", settings: LintSettings | None = None
) -> LintReport:
    """Lint a spec given as text; ``path`` names it in locations (and anchors its imports)."""
    return _finish([_compile(path, text)], settings or LintSettings())


def _compile(path: str, text: str | None) -> _Unit:
    try:
        docs: Sequence[Document] = load_file(path) if text is None else load_text(text, path)
    except LoadError as exc:
        return _Unit(path, None, StepNodes(()), [finding_from_error(exc, path)])
    compiled = compile_documents(docs)
    findings = [finding_from_error(error, path) for error in compiled.errors]
    return _Unit(path, compiled, StepNodes(docs), findings)


def _finish(units: list[_Unit], settings: LintSettings) -> LintReport:
    extra: list[Finding] = []
    plans = [plan for unit in units if unit.compiled for plan in unit.compiled.plans]
    mcp_tools: dict[int, PlanTools] = {}
    if settings.mcp and any(plan.mcp_servers for plan in plans):
        env = dict(os.environ) if settings.env is None else settings.env
        listed, failures = anyio.run(list_plan_tools, plans, env)
        mcp_tools = {id(plan): tools for plan, tools in zip(plans, listed, strict=True)}
        extra.extend(failures)
    for unit in units:
        if unit.compiled is not None:
            _check_plans(unit, settings, mcp_tools)
    seen: set[tuple[str, SourceLocation, str]] = set()
    kept: list[Finding] = []
    for finding in [*extra, *(f for unit in units for f in unit.findings)]:
        key = (finding.code, finding.location, finding.message)
        if key in seen or not settings.filter.keeps(finding):
            continue
        seen.add(key)
        kept.append(finding)
    kept.sort(key=Finding.sort_key)
    return LintReport([unit.path for unit in units], kept)


def _check_plans(unit: _Unit, settings: LintSettings, mcp_tools: dict[int, PlanTools]) -> None:
    compiled = unit.compiled
    assert compiled is not None
    specs: dict[str, Spec] = {}
    for doc, spec in compiled.specs:
        specs.setdefault(spec.test.name, spec)
        unit.findings += template_keys(doc)
        unit.findings += pointless_votes(doc, spec)
        unit.findings += elicitation_warnings(doc, spec)
    for plan in compiled.plans:
        unit.findings += plan_warnings(plan, specs[plan.test_name], unit.nodes)
    for partial in compiled.partial_plans:
        unit.findings += plan_warnings(
            partial.plan, partial.spec, unit.nodes, complete=partial.complete
        )
    registry, plugins_loaded = _registry(unit, settings)
    if registry is None:
        return
    # where plugins failed to load, their tools are unknown: flag no tool name as unknown
    for plan in [*compiled.plans, *(partial.plan for partial in compiled.partial_plans)]:
        unit.findings += _check_tools(plan, unit, registry, mcp_tools, plugins_loaded)


def _registry(unit: _Unit, settings: LintSettings) -> tuple[ToolRegistry | None, bool]:
    """The unit's registry and whether all its plugins loaded (if not: an E406 of the unit)."""
    source = settings.registry
    if not isinstance(source, Registries):
        return source, True
    registry, error = source.for_spec(unit.path)
    if error is None:
        return registry, True
    where = error.location or SourceLocation(unit.path, 1, 1)
    unit.findings.append(Finding("E406", where, error.message, error.hint))
    return registry, False


def _check_tools(
    plan: Plan,
    unit: _Unit,
    registry: ToolRegistry,
    mcp_tools: dict[int, PlanTools],
    flag_unknown: bool,
) -> list[Finding]:
    unchecked = [server.name for server in plan.mcp_servers]
    found: list[Finding] = []
    listed = mcp_tools.get(id(plan))
    if listed is not None:
        from llm_pytest.tools.mcp.client import disambiguated  # lint --mcp imports the SDK

        unchecked = list(listed.unavailable)
        try:
            registry = registry.extended(disambiguated(listed.tools))
        except ToolError as exc:  # a server tool named like a plugin tool
            found.append(Finding("E405", plan.location, exc.message, exc.hint))
            unchecked = [server.name for server in plan.mcp_servers]
    calls = list(iter_tool_calls(plan.setup + plan.steps + plan.teardown))
    found += check_tool_calls(
        calls, registry, unit.nodes, unchecked=unchecked, flag_unknown=flag_unknown
    )
    found += check_mcp_calls(plan, calls, registry, unit.nodes)
    return found
