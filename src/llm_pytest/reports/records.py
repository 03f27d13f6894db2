"""Item records: what every report is made from.

An :class:`ItemRecord` is the account of one item (a test × experiment) that ran: where it comes
from, its outcome and its runs' traces. Records travel from pytest-xdist workers to the controller
on test reports as JSON (:meth:`ItemRecord.to_json`), so reports never depend on which process ran
what, and a run folder's JSONL files hold enough to build them again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from llm_pytest.model.plan import Plan
from llm_pytest.model.result import ItemResult
from llm_pytest.model.stats import ItemStats, item_stats
from llm_pytest.model.trace import RunTrace
from llm_pytest.reports.decode import decode, decode_trace

__all__ = [
    "OUTCOMES",
    "ItemRecord",
    "Totals",
    "outcome_counts",
    "outcome_line",
    "plan_record",
    "record_of",
    "totals",
]

OUTCOMES = ("failed", "passed", "skipped", "xfailed", "xpassed", "error")
"""pytest's words for a test's outcome, in the order of its last line."""


@dataclass
class ItemRecord:
    """One item that ran, with the traces of its runs."""

    nodeid: str
    """The pytest test that ran it (a spec item, or a Python test using ``llm_runner``)."""
    group: str
    """What tables group it under: its spec file, or the Python test that ran it."""
    label: str
    """How tables name it within its group."""
    spec: str
    item: str
    test: str
    experiment: str | None
    outcome: str
    """pytest's outcome of the test ``nodeid``: one of :data:`OUTCOMES` (an xfail item that
    failed is ``xfailed``, an error in its setup or teardown ``error``). Records of the items
    that one ``llm_runner`` test ran all carry that test's outcome."""
    min_pass_rate: float
    order: int = -1
    """The test's place in the collection, before ``--llm-shard`` took its share: reports list
    items in this order, and merged shards in the order of one whole run."""
    runs: list[RunTrace] = field(default_factory=list)

    def head(self) -> dict[str, Any]:
        """The record without its runs, as JSON data."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "runs"}

    def to_json(self) -> dict[str, Any]:
        return {**self.head(), "runs": [run.to_json() for run in self.runs]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ItemRecord:
        """The record :meth:`to_json` made."""
        record = cls.head_from_json(data)
        record.runs = [decode_trace(run) for run in data["runs"]]
        return record

    @classmethod
    def head_from_json(cls, data: Mapping[str, Any]) -> ItemRecord:
        """The record without runs that :meth:`head` made; ValueError if ``data`` is not one."""
        return decode(cls, {**data, "runs": []})

    @property
    def stats(self) -> ItemStats:
        return item_stats(self.runs)

    @property
    def summaries(self) -> list[dict[str, Any]]:
        """The ``RunTrace.summary()`` line of each run."""
        return [run.summary() for run in self.runs]

    @property
    def tokens(self) -> int:
        return sum(run.input_tokens + run.output_tokens for run in self.runs)

    @property
    def cost(self) -> float:
        return sum(run.cost_usd for run in self.runs)

    @property
    def verdicts(self) -> int:
        """Runs the judge answered (from the provider or the cache)."""
        return sum(run.judge is not None for run in self.runs)

    @property
    def cached_verdicts(self) -> int:
        return sum(run.judge is not None and run.judge.cached for run in self.runs)

    def reasons(self, outcome: str) -> list[str]:
        """The distinct reasons of the runs with ``outcome`` (PASS/FAIL/UNCLEAR), in run order."""
        seen: dict[str, None] = {}
        for run in self.runs:
            if run.outcome == outcome and run.reason:
                seen.setdefault(run.reason)
        return list(seen)


def record_of(result: ItemResult, *, nodeid: str, group: str, label: str) -> ItemRecord:
    """The record of an item that ran."""
    return plan_record(
        result.plan,
        nodeid=nodeid,
        group=group,
        label=label,
        outcome=result.outcome,
        runs=result.runs,
    )


def plan_record(
    plan: Plan,
    *,
    nodeid: str,
    group: str,
    label: str,
    outcome: str,
    runs: Iterable[RunTrace] = (),
) -> ItemRecord:
    """The record of ``plan``'s item, with ``runs`` (none when its setup skipped or failed)."""
    return ItemRecord(
        nodeid=nodeid,
        group=group,
        label=label,
        spec=plan.path,
        item=plan.item_name,
        test=plan.test_name,
        experiment=plan.experiment,
        outcome=outcome,
        min_pass_rate=plan.min_pass_rate,
        runs=list(runs),
    )


def outcome_counts(records: Iterable[ItemRecord]) -> dict[str, int]:
    """How many tests had each outcome, in the order of pytest's last line (other words after,
    sorted). A test counts once however many records it has (an ``llm_runner`` test)."""
    outcomes: dict[str, str] = {}
    for rec in records:
        outcomes.setdefault(rec.nodeid, rec.outcome)
    counts = Counter(outcomes.values())
    order = [o for o in OUTCOMES if o in counts] + sorted(set(counts) - set(OUTCOMES))
    return {outcome: counts[outcome] for outcome in order}


def outcome_line(counts: Mapping[str, int]) -> str:
    """``1 failed, 2 passed, 2 errors``: the counts worded as pytest's last line."""
    return ", ".join(
        f"{n} {'errors' if word == 'error' and n != 1 else word}" for word, n in counts.items()
    )


@dataclass(frozen=True)
class Totals:
    """Aggregates over every record of a session."""

    items: int
    """Tests: an ``llm_runner`` test counts once, however many items it ran."""
    outcomes: dict[str, int]
    """Tests by pytest's outcome (:func:`outcome_counts`)."""
    stats: ItemStats
    """Of every run of the session."""
    tokens: int
    cost: float
    verdicts: int = 0
    cached_verdicts: int = 0

    @property
    def passed(self) -> int:
        return self.outcomes.get("passed", 0)

    @property
    def failed(self) -> int:
        return self.outcomes.get("failed", 0)

    @property
    def skipped(self) -> int:
        return self.outcomes.get("skipped", 0)

    @property
    def duration_ms(self) -> float:
        """Every run's duration, added up."""
        return sum(self.stats.durations_ms)


def totals(records: Iterable[ItemRecord]) -> Totals:
    recs = list(records)
    return Totals(
        items=len({r.nodeid for r in recs}),
        outcomes=outcome_counts(recs),
        stats=item_stats(run for r in recs for run in r.runs),
        tokens=sum(r.tokens for r in recs),
        cost=sum(r.cost for r in recs),
        verdicts=sum(r.verdicts for r in recs),
        cached_verdicts=sum(r.cached_verdicts for r in recs),
    )
