"""Defaults shared by the pytest plugin, lint and the Python API. Imports nothing but typing, so
the plugin can read them on every pytest start for free."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "DEFAULT_UNCLEAR",
    "PLUGIN_DIR",
    "SNAPSHOT_DIR",
    "SPEC_PATTERNS",
    "UNCLEAR_POLICIES",
    "UnclearPolicy",
]

SPEC_PATTERNS = ("test_*.yaml", "test_*.yml")
"""File names `pytest --llm` and `llm-pytest lint` treat as specs (ini `llm_spec_patterns`)."""

SNAPSHOT_DIR = "__snapshots__"
"""The folder beside a spec holding its step snapshots; files in it are never specs, although
they are named after one (``__snapshots__/test_users.yaml``)."""

PLUGIN_DIR = "tests/llm/plugins"
"""The plugin folder under the rootdir when ini `llm_plugin_dirs` names none."""

UnclearPolicy = Literal["skip", "fail"]
"""What UNCLEAR runs do to their item (``--llm-unclear``, ``run_spec(unclear=)``): with
``skip``, runs UNCLEAR for want of a judge skip it and a judge that fails fails it; with ``fail``,
any UNCLEAR run fails it."""

UNCLEAR_POLICIES: tuple[UnclearPolicy, ...] = ("skip", "fail")
DEFAULT_UNCLEAR: UnclearPolicy = "skip"
