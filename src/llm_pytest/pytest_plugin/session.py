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

from llm_pytest.dsl.overrides import NoMatch
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
from llm_pytest.pytest_plugin.session_options import INI_OVERRIDES
from llm_pytest.reports import registry
from llm_pytest.reports.jsonl import new_run_dir
from llm_pytest.reports.records import ItemRecord
from llm_pytest.reports.registry import ReportContext

__all__ = [
    "check_overrides",
    "collection_lines",
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


SHADOWED_ITEMS = 3
"""Items named per override that replaces what experiments set; the rest are counted."""


def collection_lines(config: pytest.Config) -> list[str]:
    """Header lines after collection: each ini override that matched nothing in the specs
    collected, and each session override that sets a path experiments also set, which makes
    those experiments alike there."""
    ctx = LlmContext.of(config)
    lines = [
        f"llm-pytest {e.override.describe()} matches nothing in the specs collected ({_in(e)})"
        for e in ctx.unmatched_overrides()
        if e.override.source == INI_OVERRIDES
    ]
    for (path, source), items in ctx.shadowed.items():
        shown = ", ".join(items[:SHADOWED_ITEMS])
        if len(items) > SHADOWED_ITEMS:
            shown += f" and {len(items) - SHADOWED_ITEMS} more"
        lines.append(
            f"llm-pytest override `{path}` from {source} also replaces what experiments set, so "
            f"they no longer differ there: {shown}"
        )
    return lines


def check_overrides(config: pytest.Config) -> None:
    """A usage error for each command-line override that matched nothing in any spec collected
    (under xdist, where a worker cannot stop the session, each spec item errors with it).

    The ini file's overrides serve the whole project, of which a session may collect only some
    specs: one of them that matched nothing is told after collection instead
    (:func:`collection_lines`)."""
    ctx = LlmContext.of(config)
    errors = [e for e in ctx.unmatched_overrides() if e.override.source != INI_OVERRIDES]
    if not errors:
        return
    lines = []
    for error in errors:
        lines.append(
            f"{error.override.describe()} matches nothing in any spec collected; {_in(error)}"
        )
        if error.hint:
            lines.append(f"  hint: {error.hint}")
    if is_xdist_worker(config):
        ctx.broken_overrides = "\n".join(lines)
        return
    raise pytest.UsageError("llm-pytest: " + "\n".join(lines))


def _in(error: NoMatch) -> str:
    where = error.location.path if error.location else "the first spec"
    return f"in {where}: {error.why}"


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
    from llm_pytest.reports.terminal import summary_table

    reporter.write_sep("=", "llm-pytest summary")
    for line in summary_table(records, width=config.get_terminal_writer().fullwidth):
        reporter.write_line(line)
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
