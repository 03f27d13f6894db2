"""The terminal summary: under each spec file (or Python test) a row per item with runs, pass
rate, flaky, pass^3, avg and p95 run duration, tokens and cost; then a totals row, the tests by
pytest's outcome (worded as pytest's last line), how many verdicts came from the judge cache
when any did, the votes of runs judged by consensus (each vote's verdict, tokens and cost), and
how many runs were UNCLEAR and why, with a line per item that was skipped or had UNCLEAR runs
giving its reasons; last, how many step snapshots were written or updated."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from llm_pytest.model.result import UNCLEAR_CAUSES, unclear_cause
from llm_pytest.reports.records import ItemRecord, outcome_line, totals
from llm_pytest.reports.registry import ReportContext

__all__ = [
    "HEADERS",
    "REPORTER",
    "format_cost",
    "format_ms",
    "format_rate",
    "mcp_startup_line",
    "snapshot_lines",
    "summary_table",
    "unclear_lines",
    "vote_lines",
]

HEADERS = ("item", "runs", "pass rate", "flaky", "pass^3", "avg", "p95", "tokens", "cost")
PASS_HAT_K = 3
_MIN_ITEM_WIDTH = 30
_INDENT = "  "
MAX_VOTE_LINES = 20
"""Runs judged by votes shown one a line in the summary; the HTML report shows every one."""


def format_ms(ms: float) -> str:
    if ms < 1000:
        return f"{ms:.0f}ms" if ms >= 10 else f"{ms:.1f}ms"
    return f"{ms / 1000:.2f}s" if ms < 60_000 else f"{ms / 60_000:.1f}min"


def format_cost(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


def format_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _row(rec: ItemRecord) -> tuple[str, ...]:
    stats = rec.stats
    return (
        _INDENT + rec.label,
        str(stats.total_runs),
        format_rate(stats.pass_rate if stats.judged_runs else None),
        "yes" if stats.flaky else "no",
        format_rate(stats.pass_hat_k(PASS_HAT_K)),
        format_ms(stats.avg_ms) if stats.total_runs else "-",
        format_ms(stats.p95_ms) if stats.total_runs else "-",
        str(rec.tokens),
        format_cost(rec.cost),
    )


def mcp_startup_line(records: Sequence[ItemRecord]) -> str | None:
    """``mcp servers: notes started in 412 ms (median of 3 starts), ...``: how long each MCP server
    took to be ready, by name, over the times it was started; None when no run started one."""
    times: dict[str, list[float]] = {}
    for record in records:
        for run in record.runs:
            for name, ms in run.mcp_startup_ms.items():
                times.setdefault(name, []).append(ms)
    if not times:
        return None
    parts = []
    for name, values in times.items():
        how = f"median of {len(values)} starts" if len(values) > 1 else "1 start"
        parts.append(f"{name} started in {statistics.median(values):.0f} ms ({how})")
    return "mcp servers: " + ", ".join(parts)


def summary_table(records: Sequence[ItemRecord], width: int = 120) -> list[str]:
    """The table as lines that fit ``width`` where possible (long item names are cut)."""
    t = totals(records)
    total_row = (
        "total",
        str(t.stats.total_runs),
        format_rate(t.stats.pass_rate if t.stats.judged_runs else None),
        "",
        "",
        format_ms(t.stats.avg_ms),
        format_ms(t.stats.p95_ms),
        str(t.tokens),
        format_cost(t.cost),
    )
    groups: dict[str, list[tuple[str, ...]]] = {}
    for rec in records:
        groups.setdefault(rec.group, []).append(_row(rec))
    rows = [r for rs in groups.values() for r in rs]
    widths = [max(len(r[i]) for r in [HEADERS, *rows, total_row]) for i in range(len(HEADERS))]
    rest = sum(widths[1:]) + 2 * (len(widths) - 1)
    widths[0] = max(_MIN_ITEM_WIDTH, min(widths[0], width - rest))
    full = sum(widths) + 2 * (len(widths) - 1)

    def line(cells: Sequence[str]) -> str:
        first = _cut(cells[0], widths[0]).ljust(widths[0])
        others = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *others]).rstrip()

    out = [line(HEADERS)]
    for group, group_rows in groups.items():
        out.append(_cut(group, max(full, widths[0])))
        out.extend(line(r) for r in group_rows)
    out.append("-" * min(width, full))
    out.append(line(total_row))
    out.append(f"items: {outcome_line(t.outcomes)}")
    if t.cached_verdicts:
        # Cached verdicts cost no tokens; say so, or the totals look like the judge was skipped.
        out.append(
            f"{t.cached_verdicts} of {t.verdicts} verdicts came from the judge cache "
            "(--llm-cache off asks the judge again)"
        )
    out.extend(vote_lines(records))
    out.extend(unclear_lines(records))
    out.extend(snapshot_lines(records))
    return out


def vote_lines(records: Sequence[ItemRecord], limit: int = MAX_VOTE_LINES) -> list[str]:
    """The votes of runs judged by consensus (``judge.votes``/``judge.panel``): how many and
    what they cost in all, then a line per such run with its verdict, agreement and each vote's
    verdict, tokens and cost (the first ``limit`` runs; the HTML report has every one)."""
    voted = [
        (rec, run, run.judge)
        for rec in records
        for run in rec.runs
        if run.judge is not None and run.judge.votes
    ]
    if not voted:
        return []
    votes = [vote for _, _, judge in voted for vote in judge.votes]
    tokens = sum(v.input_tokens + v.output_tokens for v in votes)
    cost = sum(v.cost_usd for v in votes)
    split = sum(judge.split for _, _, judge in voted)
    out = [
        f"judge votes: {len(votes)} in {len(voted)} run{'s' if len(voted) != 1 else ''}"
        + (f", {split} split" if split else "")
        + f"; {tokens} tokens, {format_cost(cost)} ({format_cost(cost / len(votes))} a vote)"
    ]
    for rec, run, judge in voted[:limit]:
        each = " · ".join(
            f"{v.verdict} {v.input_tokens + v.output_tokens} tok {format_cost(v.cost_usd)}"
            for v in judge.votes
        )
        which = f" run {run.iteration}" if len(rec.runs) > 1 else ""
        out.append(f"{_INDENT}{rec.label}{which}: {judge.verdict} {judge.agreement} ({each})")
    if len(voted) > limit:
        out.append(
            f"{_INDENT}… {len(voted) - limit} more runs judged by votes (see the HTML report)"
        )
    return out


def snapshot_lines(records: Sequence[ItemRecord]) -> list[str]:
    """How many step snapshots the runs wrote or rewrote, if any: files to review and commit."""
    done = Counter(
        check.values[0][0]
        for rec in records
        for run in rec.runs
        for step in run.steps
        for check in step.checks
        if check.kind == "snapshot" and check.passed and check.values
    )
    counts = [f"{done[what]} {what}" for what in ("written", "updated") if done[what]]
    if not counts:
        return []
    return [
        f"snapshots: {', '.join(counts)} (under __snapshots__/ beside their specs: commit them)"
    ]


def unclear_lines(records: Sequence[ItemRecord]) -> list[str]:
    """How many runs were UNCLEAR and why, then each skipped or partly UNCLEAR item with its
    distinct reasons (shown here because pytest shows skip reasons only with ``-rs``)."""
    causes = Counter(c for rec in records for run in rec.runs if (c := unclear_cause(run)))
    if not causes:
        return []
    runs = sum(len(rec.runs) for rec in records)
    why = ", ".join(f"{UNCLEAR_CAUSES[cause]}: {n}" for cause, n in causes.items())
    out = [f"UNCLEAR runs: {causes.total()} of {runs} ({why})"]
    for rec in records:
        unclear = [run for run in rec.runs if run.outcome == "UNCLEAR"]
        if not unclear:
            continue
        name = rec.nodeid if rec.nodeid.endswith(f"::{rec.label}") else f"{rec.nodeid} {rec.label}"
        reasons = "; ".join(rec.reasons("UNCLEAR"))
        n = len(rec.runs)
        if rec.outcome == "skipped":
            out.append(
                f"SKIPPED {name}: " + (reasons if n == 1 else f"all {n} runs UNCLEAR: {reasons}")
            )
        else:
            out.append(f"UNCLEAR {name}: {len(unclear)} of {n} runs: {reasons}")
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class _SummaryReporter:
    help = "a text file to write the summary table to"

    def write(self, records: Sequence[ItemRecord], target: Path, context: ReportContext) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = summary_table(records, width=context.width)
        target.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return target


REPORTER = _SummaryReporter()
