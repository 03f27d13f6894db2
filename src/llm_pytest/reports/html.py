"""The HTML report: one self-contained file (inline CSS and JavaScript, no external assets) with
the summary, each item's iteration table, verdict reasons (with each vote of a consensus: its
verdict, reason, tokens and cost) and expandable step details.

Items carry pytest's outcome (``passed``, ``failed``, ``error``, ``skipped``, ``xfailed``,
``xpassed``). Opening ``report.html#filter=failed`` shows only failed items (``passed``,
``skipped``, ``flaky`` likewise, and the other outcomes when some item has them);
``#expand=all`` opens every run and step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from llm_pytest.model.jsonsafe import json_safe
from llm_pytest.reports.records import ItemRecord, outcome_line, totals
from llm_pytest.reports.registry import ReportContext
from llm_pytest.reports.terminal import format_cost, format_ms, format_rate

__all__ = ["MAX_VALUE_CHARS", "REPORTER", "render_html", "write_html"]

MAX_VALUE_CHARS = 20_000
"""Characters of one argument or result value shown; the full value is in per_trace.jsonl."""


def render_html(
    records: Sequence[ItemRecord], *, title: str = "llm-pytest report", command: str = ""
) -> str:
    """The report as one HTML document."""
    # finalize: every value the template writes, such as a huge int or a lone surrogate in a
    # name, is written as its placeholder rather than failing the whole report
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=json_safe)
    env.filters["pretty"] = _pretty
    env.filters["ms"] = format_ms
    env.filters["cost"] = format_cost
    env.filters["rate"] = format_rate
    env.filters["outcome_line"] = outcome_line
    source = resources.files("llm_pytest.reports").joinpath("templates/report.html.j2")
    template = env.from_string(source.read_text(encoding="utf-8"))
    return template.render(
        title=title,
        command=command,
        generated=datetime.now().astimezone().isoformat(timespec="seconds"),
        totals=totals(records),
        votes=_votes_view(records),
        items=[_item_view(i, r) for i, r in enumerate(records, 1)],
    )


def write_html(path: Path, records: Sequence[ItemRecord], *, command: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(records, command=command), encoding="utf-8")
    return path


class _HtmlReporter:
    help = "a file to write the HTML report to"

    def write(self, records: Sequence[ItemRecord], target: Path, context: ReportContext) -> Path:
        return write_html(target, records, command=context.command)


REPORTER = _HtmlReporter()


def _item_view(index: int, rec: ItemRecord) -> dict[str, Any]:
    stats = rec.stats
    n = stats.judged_runs
    return {
        "id": f"item-{index}",
        "rec": rec,
        "stats": stats,
        "pass_rate": stats.pass_rate if n else None,
        "k_rows": [(k, stats.pass_hat_k(k), stats.pass_at_k(k)) for k in range(1, n + 1)],
        "voted": any(run.judge is not None and run.judge.votes for run in rec.runs),
        "runs": [
            {"summary": summary, "trace": run}
            for summary, run in zip(rec.summaries, rec.runs, strict=True)
        ],
    }


def _votes_view(records: Sequence[ItemRecord]) -> dict[str, Any]:
    """The session's consensus votes: how many, in how many runs, how many split, their cost."""
    judged = [run.judge for rec in records for run in rec.runs if run.judge and run.judge.votes]
    votes = [vote for judge in judged for vote in judge.votes]
    return {
        "count": len(votes),
        "runs": len(judged),
        "split": sum(judge.split for judge in judged),
        "tokens": sum(v.input_tokens + v.output_tokens for v in votes),
        "cost": sum(v.cost_usd for v in votes),
    }


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(json_safe(value), indent=2, ensure_ascii=False)
    if len(text) > MAX_VALUE_CHARS:
        cut = len(text) - MAX_VALUE_CHARS
        text = f"{text[:MAX_VALUE_CHARS]}\n… {cut} more characters (see per_trace.jsonl)"
    return text
