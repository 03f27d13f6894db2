"""The plugin's state, kept in pytest stashes (imported on every run: nothing heavy here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from llm_pytest.pytest_plugin.context import LlmContext
    from llm_pytest.reports.records import ItemRecord

__all__ = [
    "CONTEXT",
    "ITEM_RECORDS",
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

REPORT_ATTRIBUTE = "llm_items"
"""The test-report attribute that carries an item's records as ``ItemRecord.to_json()`` data:
pytest-xdist sends only plain data from a worker to the controller."""

SPEC_SKIP_ATTRIBUTE = "llm_spec_skip"
"""Set on the setup report of a spec item skipped by its ``skip:``, so the llm-pytest summary
can give the reason of every skipped spec item (pytest gives it only with ``-rs``)."""
