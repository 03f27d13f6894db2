"""The ``llm_runner`` fixture: run a spec file from a Python test and assert on its
:class:`~llm_pytest.model.result.SpecResult`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from llm_pytest.errors import LlmPytestError
from llm_pytest.expr.scope import FixtureValues
from llm_pytest.model.plan import Plan
from llm_pytest.model.result import SpecResult
from llm_pytest.pytest_plugin.ahead import fixture_values
from llm_pytest.pytest_plugin.context import LlmContext, display_path
from llm_pytest.pytest_plugin.item import unknown_fixture
from llm_pytest.pytest_plugin.keys import ITEM_RECORDS
from llm_pytest.reports.records import record_of
from llm_pytest.runtime.settings import normalize_overrides, setting_overrides

__all__ = ["make_runner"]

Runner = Callable[..., SpecResult]


def make_runner(request: pytest.FixtureRequest) -> Runner:
    """The function the fixture returns, bound to the requesting test."""
    ctx = LlmContext.of(request.config)
    node = request.node
    test_dir = request.path.parent

    def llm_runner(
        spec_path: str | os.PathLike[str],
        *,
        overrides: Mapping[str, Any] | Sequence[str] | None = None,
        iterations: int | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> SpecResult:
        """Run every item of ``spec_path`` (a relative path is looked up next to the test file
        first, then from the current directory) and return the result.

        ``overrides`` (``{"vars.limit": 5}`` or ``["vars.limit=5"]``), ``iterations`` and
        ``timeout`` (the default step timeout) apply after the session's ``--llm-*`` settings;
        ``env`` is added to the environment of the runs. The pytest fixtures the spec requests
        (``fixtures:``) are those of the calling test, set up if it has not. A spec problem
        fails the test with the spec's location.
        """
        __tracebackhide__ = True
        path = _resolve(Path(spec_path), test_dir)
        problem: str | None
        try:
            ovs = setting_overrides(
                iterations=iterations, timeout=timeout, source="the llm_runner arguments"
            )
            ovs += normalize_overrides(overrides, "the llm_runner overrides= argument")
            result = ctx.run_file(
                display_path(request.config, path),
                ovs,
                env,
                ctx.live_log(),
                fixtures=lambda plan: _requested(plan, request),
            )
        except LlmPytestError as exc:
            problem = exc.render()
        else:
            problem = None
        if problem is not None:
            # Outside the `except`: the failure must not read "during handling of ...".
            pytest.fail(problem, pytrace=False)
        records = node.stash.setdefault(ITEM_RECORDS, [])
        for item in result.items:
            label = f"{Path(item.plan.path).name}::{item.plan.item_name}"
            records.append(record_of(item, nodeid=node.nodeid, group=node.nodeid, label=label))
        return result

    return llm_runner


def _resolve(path: Path, test_dir: Path) -> Path:
    if path.is_absolute():
        return path
    beside = test_dir / path
    return beside if beside.exists() else Path.cwd() / path


def _requested(plan: Plan, request: pytest.FixtureRequest) -> FixtureValues:
    """The values of the fixtures ``plan`` requests, as the calling test would get them."""
    values: dict[str, object] = {}
    for use in plan.fixtures:
        try:
            values[use.name] = request.getfixturevalue(use.name)
        except pytest.FixtureLookupError:
            raise unknown_fixture(use, request.node) from None
    return fixture_values(plan, values)
