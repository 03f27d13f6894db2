"""``--llm-verbose``: tool calls, results and interpolations written live to the terminal."""

from __future__ import annotations

import pytest

__all__ = ["LiveLog"]


class LiveLog:
    """Writes each line as it happens, past output capturing, in the README's style
    (``[tool] name({...})``, ``[tool result] OK: {...}``, ``[interpolate] ${...} -> value``)."""

    def __init__(self, config: pytest.Config) -> None:
        self._reporter = config.pluginmanager.get_plugin("terminalreporter")
        self._capture = config.pluginmanager.get_plugin("capturemanager")

    def __call__(self, line: str) -> None:
        if self._reporter is None:
            return
        if self._capture is None:
            self._reporter.write_line(line)
            return
        with self._capture.global_and_fixture_disabled():
            # write_line starts a new line first, so the first line does not run on after
            # pytest's "path::test" prefix.
            self._reporter.write_line(line)
