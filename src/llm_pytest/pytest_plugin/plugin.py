"""pytest11 entry point: registers the options and the ``llm_runner`` fixture; hooks only delegate.

Without ``--llm`` no spec is collected and nothing beyond this module and its options is
imported; the reporting hooks do work only for tests that produced llm-pytest records (spec
items, or Python tests that used ``llm_runner``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from llm_pytest.pytest_plugin import options
from llm_pytest.pytest_plugin.keys import (
    COLLECTION_ORDER,
    CONTEXT,
    ITEM_RECORDS,
    ITEM_REPORT_ATTRIBUTE,
    SESSION_RECORDS,
    SPEC_ITEM,
)

if TYPE_CHECKING:
    from llm_pytest.model.result import SpecResult


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


class _RecordGatherer:
    """Collects the llm-pytest records that test reports carry, and pytest's outcome of their
    tests (every worker's, under xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, ITEM_REPORT_ATTRIBUTE, False):
            from llm_pytest.pytest_plugin import session

            session.gather_records(self.config, report)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_RecordGatherer(config), "llm-pytest-records")
    config.addinivalue_line(
        "markers", "llm_serial: a spec item that never runs ahead of its turn (--llm-parallel)"
    )
    if config.getoption("llm"):
        from llm_pytest.pytest_plugin import session

        session.start(config)
        session.wide_xdist_scheduling(config)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    wanted = config.getoption("llm_shard")
    shard = (
        []
        if wanted is None
        else [
            f"llm-pytest shard {wanted[0]}/{wanted[1]} (--llm-shard): one item in {wanted[1]} "
            "of the items sorted by node id"
        ]
    )
    if not config.getoption("llm"):
        return shard or None
    from llm_pytest.pytest_plugin import session

    return [*session.header_lines(config), *shard]


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.getoption("llm"):
        from llm_pytest.pytest_plugin import session as llm_session

        llm_session.check_overrides(session.config)


def pytest_report_collectionfinish(config: pytest.Config) -> list[str] | None:
    if not config.getoption("llm"):
        return None
    from llm_pytest.pytest_plugin import session

    return session.collection_lines(config) or None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for at, item in enumerate(items):
        item.stash[COLLECTION_ORDER] = at
    wanted = config.getoption("llm_shard")
    if wanted is None:
        return
    index, count = wanted
    order = sorted(range(len(items)), key=lambda i: items[i].nodeid)
    mine = {at for rank, at in enumerate(order) if rank % count == index - 1}
    deselected = [item for at, item in enumerate(items) if at not in mine]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for at, item in enumerate(items) if at in mine]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not parent.config.getoption("llm") or not options.is_spec_file(file_path, parent.config):
        return None
    from llm_pytest.pytest_plugin.collect import SpecFile

    return SpecFile.from_parent(parent, path=file_path)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if ITEM_RECORDS in item.stash or SPEC_ITEM in item.stash:
        from llm_pytest.pytest_plugin import session

        session.finish_report(item, report)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    if CONTEXT in session.config.stash:
        session.config.stash[CONTEXT].close()
    if SESSION_RECORDS in session.config.stash:
        from llm_pytest.pytest_plugin import session as llm_session

        llm_session.write_reports(session)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if SESSION_RECORDS in config.stash:
        from llm_pytest.pytest_plugin import session

        session.terminal_summary(terminalreporter, config)


@pytest.fixture
def llm_runner(request: pytest.FixtureRequest) -> Callable[..., SpecResult]:
    """Run a spec file from a Python test: ``llm_runner(spec_path, *, overrides=None,
    iterations=None, env=None, timeout=None) -> SpecResult``.

    The runs use the session's judge, plugin directories and ``--llm-*`` settings, and appear in
    the llm-pytest summary and report files.
    """
    from llm_pytest.pytest_plugin.fixtures import make_runner

    return make_runner(request)
