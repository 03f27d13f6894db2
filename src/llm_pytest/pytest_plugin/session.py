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
from llm_pytest.model.stats import item_stats
from llm_pytest.pytest_plugin.context import LlmContext, is_xdist_worker
from llm_pytest.pytest_plugin.item import SpecItem
from llm_pytest.pytest_plugin.keys import (
    COLLECTION_ORDER,
    ITEM_RECORDS,
    ITEM_REPORT_ATTRIBUTE,
    OUTCOMES,
    REPORT_ATTRIBUTE,
    SESSION_RECORDS,
    SPEC_SKIP_ATTRIBUTE,
)
from llm_pytest.pytest_plugin.session_options import INI_OVERRIDES
from llm_pytest.reports import registry
from llm_pytest.reports.records import ItemRecord
from llm_pytest.reports.registry import ReportContext
from llm_pytest.reports.runs import default_runs_dir, new_run_dir, point_latest, prune_runs

__all__ = [
    "check_overrides",
    "collection_lines",
    "finish_report",
    "gather_records",
    "header_lines",
    "junit_properties",
    "session_records",
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
    """Flag the report as one of ours and put the records the item produced on it (xdist carries
    them over): on its call report, or on its setup report for a spec item whose setup skipped
    or failed (a spec item that did not get to run has a record without runs, so that it counts
    as pytest counts it). A call report also adds the item's pass rate, runs, tokens and cost
    to its ``user_properties`` (JUnit XML shows them). A spec item's skip points at its spec
    line, as pytest does for a test function's skips, rather than at our code."""
    unrun = report.when != "teardown" and not report.passed and ITEM_RECORDS not in item.stash
    if isinstance(item, SpecItem) and unrun:
        item.stash[ITEM_RECORDS] = [item.record()]
    records = item.stash.get(ITEM_RECORDS, None)
    if records is None:
        return
    setattr(report, ITEM_REPORT_ATTRIBUTE, True)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        order = item.stash.get(COLLECTION_ORDER, -1)
        for record in records:
            record.order = order
        setattr(report, REPORT_ATTRIBUTE, [r.to_json() for r in records])
    if report.when == "call":
        properties = junit_properties(records)
        item.user_properties.extend(properties)
        report.user_properties.extend(properties)
    if isinstance(item, SpecItem) and report.skipped and isinstance(report.longrepr, tuple):
        path, line, _ = item.reportinfo()
        report.longrepr = (os.fspath(path), (line or 0) + 1, report.longrepr[2])
        if report.when == "setup":
            setattr(report, SPEC_SKIP_ATTRIBUTE, True)


def junit_properties(records: list[ItemRecord]) -> list[tuple[str, object]]:
    """``llm_*`` properties of a test's runs, for JUnit XML ``<property>`` elements: the pass
    rate (of the runs that were not UNCLEAR; left out when every run was), the runs, the runs
    passed, the judge's tokens and cost in USD."""
    stats = item_stats(run for record in records for run in record.runs)
    rate = [("llm_pass_rate", f"{stats.pass_rate:.4g}")] if stats.judged_runs else []
    return [
        *rate,
        ("llm_runs", stats.total_runs),
        ("llm_runs_passed", stats.passed_runs),
        ("llm_tokens", sum(r.tokens for r in records)),
        ("llm_cost_usd", f"{sum(r.cost for r in records):.6f}"),
    ]


def gather_records(config: pytest.Config, report: pytest.TestReport) -> None:
    """Note pytest's outcome of the report's test and keep the records it carries (in the
    process that reports: the controller under xdist)."""
    if is_xdist_worker(config):
        return
    category = config.hook.pytest_report_teststatus(report=report, config=config)[0]
    if category:
        # The last report that counts wins: a teardown error turns a pass into an error.
        config.stash.setdefault(OUTCOMES, {})[report.nodeid] = category
    records = getattr(report, REPORT_ATTRIBUTE, None)
    if records:
        gathered = config.stash.setdefault(SESSION_RECORDS, [])
        gathered.extend(ItemRecord.from_json(r) for r in records)


def session_records(config: pytest.Config) -> list[ItemRecord]:
    """The session's records in collection order, each with its test's outcome in pytest's
    words."""
    records = config.stash.get(SESSION_RECORDS, [])
    outcomes = config.stash.get(OUTCOMES, {})
    for record in records:
        record.outcome = outcomes.get(record.nodeid, record.outcome)
    return sorted(records, key=lambda r: r.order)


def write_reports(session: pytest.Session) -> None:
    """Write the JSONL files (and the HTML file when asked) for every item that ran: to
    ``--llm-report-dir``, or to a new run folder in pytest's cache that ``runs/latest`` then
    points at, deleting the run folders beyond ``--llm-keep-runs``. Only the process that
    gathered the records writes (the controller under xdist)."""
    config = session.config
    records = session_records(config)
    if not records:
        return
    opts = LlmContext.of(config).options
    command = shlex.join(["pytest", *config.invocation_params.args])
    context = ReportContext(command=Redactor(os.environ, opts.redact)(command))
    html: Path | None = None
    try:
        directory = opts.report_dir or new_run_dir(_runs_dir(config))
        traces = registry.reporter("jsonl").write(records, directory, context)
        if opts.report_dir is None:
            point_latest(directory)
            if opts.keep_runs:
                prune_runs(directory.parent, opts.keep_runs, directory)
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


def _runs_dir(config: pytest.Config) -> Path:
    """Where run folders go: pytest's cache (``cache.mkdir``), or where it would be."""
    cache: pytest.Cache | None = getattr(config, "cache", None)
    if cache is not None:
        return cache.mkdir("llm-pytest") / "runs"
    return default_runs_dir(config.rootpath)


def terminal_summary(reporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The per-item table, the reasons of skipped spec items, and where the reports are; nothing
    when no spec ran."""
    records = session_records(config)
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
