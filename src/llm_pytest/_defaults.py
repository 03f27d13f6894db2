"""Defaults shared by the pytest plugin, lint and the Python API. Imports nothing, so the plugin
can read them on every pytest start for free."""

from __future__ import annotations

__all__ = ["PLUGIN_DIR", "SPEC_PATTERNS"]

SPEC_PATTERNS = ("test_*.yaml", "test_*.yml")
"""File names `pytest --llm` and `llm-pytest lint` treat as specs (ini `llm_spec_patterns`)."""

PLUGIN_DIR = "tests/llm/plugins"
"""The plugin folder under the rootdir when ini `llm_plugin_dirs` names none."""
