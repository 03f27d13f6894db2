"""The plugin's state, kept in pytest stashes (imported on every run: nothing heavy here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from llm_pytest.pytest_plugin.context import LlmContext
    from llm_pytest.reports.records import ItemRecord

__all__ = [
    "COLLECTION_ORDER",
    "CONTEXT",
    "ITEM_RECORDS",
    "ITEM_REPORT_ATTRIBUTE",
    "OUTCOMES",
    "REPORT_ATTRIBUTE",
    "SESSION_RECORDS",
    "SPEC_ITEM",
    "SPEC_SKIP_ATTRIBUTE",
]

CONTEXT: pytest.StashKey[LlmContext] = pytest.StashKey()
"""On the config: options, judge and tool registries shared by spec items and ``llm_runner``."""

SPEC_ITEM = pytest.StashKey[bool]()
"""On a spec item: tells the report hook, without importing the item's class, that the item's
skips are to point at its spec line."""

ITEM_RECORDS: pytest.StashKey[list[ItemRecord]] = pytest.StashKey()
"""On an item: the item records its call produced."""

SESSION_RECORDS: pytest.StashKey[list[ItemRecord]] = pytest.StashKey()
"""On the config: every item record reported in this process (the controller under xdist)."""

OUTCOMES = pytest.StashKey[dict[str, str]]()
"""On the config: node id → pytest's outcome word of each test whose reports are flagged with
:data:`ITEM_REPORT_ATTRIBUTE` (the category its last report counted under in pytest's summary)."""

COLLECTION_ORDER = pytest.StashKey[int]()
"""On an item: its place in the collection before ``--llm-shard`` deselected the other shards'
items, the same on every machine."""

REPORT_ATTRIBUTE = "llm_items"
"""The test-report attribute that carries an item's records as ``ItemRecord.to_json()`` data:
pytest-xdist sends only plain data from a worker to the controller."""

ITEM_REPORT_ATTRIBUTE = "llm_item"
"""Set on every report of a test that has llm-pytest records (a spec item, or a Python test after
it used ``llm_runner``), so the process that counts outcomes knows the test's outcome is ours to
report."""

SPEC_SKIP_ATTRIBUTE = "llm_spec_skip"
"""Set on the setup report of a spec item skipped by its ``skip:``, so the llm-pytest summary
can give the reason of every skipped spec item (pytest gives it only with ``-rs``)."""
