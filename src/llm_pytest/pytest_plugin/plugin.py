"""pytest11 entry point: registers the options and the ``llm_runner`` fixture; hooks only delegate.

Without ``--llm`` nothing else happens and nothing else is imported. With it, the session plugin
(:class:`~llm_pytest.pytest_plugin.session.LlmSession`) is registered and does the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from llm_pytest.pytest_plugin import options

if TYPE_CHECKING:
    from llm_pytest.interpreter.result import SpecResult

SESSION_PLUGIN_NAME = "llm-pytest-session"


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("llm"):
        from llm_pytest.pytest_plugin.session import LlmSession

        config.pluginmanager.register(LlmSession.start(config), SESSION_PLUGIN_NAME)


@pytest.fixture
def llm_runner(request: pytest.FixtureRequest) -> Callable[..., SpecResult]:
    """Run a spec file from a Python test: ``llm_runner(spec_path, *, overrides=None,
    iterations=None, env=None, timeout=None) -> SpecResult``.

    The runs use the session's judge and plugin directories and appear in the llm-pytest reports.
    """
    from llm_pytest.pytest_plugin.fixtures import make_runner

    return make_runner(request)
