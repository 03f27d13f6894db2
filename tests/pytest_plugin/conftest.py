"""The `project` fixture: a fresh project with the README's `my_api` plugin."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import MY_API_PLUGIN

# Imported before any inner session: pytester's in-process runs drop the modules a run imported,
# and a plugin file's `from llm_pytest import LLMPlugin` must meet the class discovery checks.


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A fresh project with ``tests/llm/plugins/my_api.py``."""
    plugins = pytester.path / "tests" / "llm" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "my_api.py").write_text(MY_API_PLUGIN, encoding="utf-8")
    return pytester
