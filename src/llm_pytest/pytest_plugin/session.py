"""Session-level work the plugin's hooks delegate to: start-up, the header, gathering item records
from test reports, writing the report files and the terminal summary.

Records ride on test reports (``report.llm_items``), so under pytest-xdist the controller
receives every worker's records and alone writes the files: workers never share a file.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from llm_pytest.interpreter.runner import DEFAULT_CONCURRENCY
from llm_pytest.model.redaction import Redactor
from llm_pytest.pytest_plugin.context import LlmContext, is_xdist_worker
from llm_pytest.pytest_plugin.item import SpecItem
from llm_pytest.pytest_plugin.keys import (
    ITEM_RECORDS,
    REPORT_ATTRIBUTE,
    SESSION_RECORDS,
    SPEC_SKIP_ATTRIBUTE,
)
from llm_pytest.reports import registry
from llm_pytest.reports.jsonl import new_run_dir
from llm_pytest.reports.records import ItemRecord
from llm_pytest.reports.registry import ReportContext

__all__ = [
    "finish_report",
    "gather_records",
    "header_lines",
    "start",
    "terminal_summary",
    "write_reports",
]

_WRITTEN = pytest.StashKey[tuple[Path, Path | None]]()
_WRITE_ERROR = pytest.StashKey[str]()


def start(config: pytest.Config) -> None:
    """With ``--llm``: read the options and choose the judge now, so a bad option or judge
    configuration stops the session with one message before anything runs."""
    LlmContext.of(config).judge_description  # noqa: B018 - made for its errors


_POLICY_LINES = {
    "skip": "UNCLEAR runs: an item no judge could judge is skipped, one whose judge failed fails "
    "(--llm-unclear=skip)",
    "fail": "UNCLEAR runs: any UNCLEAR run fails its item (--llm-unclear=fail)",
}


def wide_xdist_scheduling(config: pytest.Config) -> None:
    """Under xdist with ``--llm-parallel N``, the controller keeps each worker supplied with
    items to run ahead."""
    parallel = LlmContext.of(config).options.parallel
    xdist = config.pluginmanager.hasplugin("xdist") and config.getvalue("numprocesses")
    if parallel > 1 and xdist and not is_xdist_worker(config):
        from llm_pytest.pytest_plugin.ahead import WideScheduling

        config.pluginmanager.register(WideScheduling(parallel), "llm-pytest-wide-scheduling")


def header_lines(config: pytest.Config) -> list[str]:
    ctx = LlmContext.of(config)
    lines = [
        f"llm-pytest {ctx.judge_description}",
        f"llm-pytest {_POLICY_LINES[ctx.options.unclear]}",
    ]
    opts = ctx.options
    if opts.parallel > 1:
        lines.append(
            f"llm-pytest parallel: up to {opts.parallel} spec items in flight, at most "
            f"{opts.concurrency or DEFAULT_CONCURRENCY} judge calls at once "
            "(--llm-parallel, --llm-concurrency)"
        )
    return lines


def finish_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """Put the records an item's call produced on its report (xdist carries them over), and
    point a spec item's skip (its ``skip:``, or all runs UNCLEAR) at its spec line, as pytest
    does for a test function's skips, rather than at our code."""
    records = item.stash.get(ITEM_RECORDS, None)
    if records and report.when == "call":
        setattr(report, REPORT_ATTRIBUTE, [r.to_json() for r in records])
    if isinstance(item, SpecItem) and report.skipped and isinstance(report.longrepr, tuple):
        path, line, _ = item.reportinfo()
        report.longrepr = (os.fspath(path), (line or 0) + 1, report.longrepr[2])
        if report.when == "setup":
            setattr(report, SPEC_SKIP_ATTRIBUTE, True)


def gather_records(config: pytest.Config, report: pytest.TestReport) -> None:
    records = getattr(report, REPORT_ATTRIBUTE, None)
    # A worker's records are the controller's to read and report.
    if records and not is_xdist_worker(config):
        gathered = config.stash.setdefault(SESSION_RECORDS, [])
        gathered.extend(ItemRecord.from_json(r) for r in records)


def write_reports(session: pytest.Session) -> None:
    """Write the JSONL files (and the HTML file when asked) for every item that ran."""
    config = session.config
    records = config.stash.get(SESSION_RECORDS, [])
    if not records:
        return
    opts = LlmContext.of(config).options
    command = shlex.join(["pytest", *config.invocation_params.args])
    context = ReportContext(command=Redactor(os.environ, opts.redact)(command))
    html: Path | None = None
    try:
        directory = opts.report_dir or new_run_dir(config.rootpath)
        traces = registry.reporter("jsonl").write(records, directory, context)
        if opts.html is not None:
            html = registry.reporter("html").write(records, opts.html, context)
    except OSError as exc:
        # The tests have run; a report that cannot be written must not hide their outcome.
        target = exc.filename or opts.html or opts.report_dir
        config.stash[_WRITE_ERROR] = (
            f"llm-pytest could not write its reports to {target}: {exc.strerror or exc}; "
            "choose a writable place with --llm-report-dir / --llm-html"
        )
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    config.stash[_WRITTEN] = (traces, html)


def terminal_summary(reporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The per-item table, the reasons of skipped spec items, and where the reports are; nothing
    when no spec ran."""
    records = config.stash.get(SESSION_RECORDS, [])
    if not records:
        return
    from llm_pytest.reports.terminal import mcp_startup_line, summary_table

    reporter.write_sep("=", "llm-pytest summary")
    for line in summary_table(records, width=config.get_terminal_writer().fullwidth):
        reporter.write_line(line)
    startup = mcp_startup_line(records)
    if startup is not None:
        reporter.write_line(startup)
    for skipped in reporter.stats.get("skipped", []):
        if getattr(skipped, SPEC_SKIP_ATTRIBUTE, False) and isinstance(skipped.longrepr, tuple):
            reason = skipped.longrepr[2].removeprefix("Skipped: ")
            reporter.write_line(f"SKIPPED {skipped.nodeid}: {reason}")
    error = config.stash.get(_WRITE_ERROR, None)
    if error is not None:
        reporter.write_line(error, red=True, bold=True)
    written = config.stash.get(_WRITTEN, None)
    if written is not None:
        traces, html = written
        reporter.write_line(f"traces: {_shown(traces, config)}/")
        if html is not None:
            reporter.write_line(f"html report: {_shown(html, config)}")


def _shown(path: Path, config: pytest.Config) -> str:
    try:
        return str(path.resolve().relative_to(config.invocation_params.dir.resolve()))
    except ValueError:
        return str(path)
