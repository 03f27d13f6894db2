"""The tools each spec can call, found the way ``pytest --llm`` finds them.

Built-in tools, installed plugins (entry points), the plugin folders of the configuration
(ini ``llm_plugin_dirs``, else ``tests/llm/plugins`` under the rootdir) and the spec's own
``plugins/`` folder, wired by :mod:`llm_pytest.runtime`. Each distinct set of folders is loaded
once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from llm_pytest.errors import SpecError, ToolError
from llm_pytest.runtime.tools import PluginDirs, SpecTools
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["Registries"]


class Registries:
    """A tool registry per spec folder, with why plugins failed to load where they did."""

    def __init__(self, plugin_dirs: Iterable[Path]) -> None:
        self._tools = SpecTools(plugin_dirs)
        self._built: dict[tuple[Path, ...], tuple[ToolRegistry, SpecError | None]] = {}

    def dirs(self, spec_path: str) -> PluginDirs:
        """Where the plugins of the spec at ``spec_path`` are looked for."""
        return self._tools.dirs(spec_path)

    def for_spec(self, spec_path: str) -> tuple[ToolRegistry, SpecError | None]:
        """The registry for the spec at ``spec_path``, and the error of plugins that failed
        (then the registry holds the built-in tools only)."""
        key = self._tools.dirs(spec_path).found
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = self._build(spec_path)
        return built

    def _build(self, spec_path: str) -> tuple[ToolRegistry, SpecError | None]:
        from llm_pytest.tools.builtin import builtin_tools

        try:
            return self._tools.registry(spec_path), None
        except SpecError as exc:  # located in the plugin's source
            return ToolRegistry(builtin_tools()), exc
        except ToolError as exc:  # e.g. two plugins with one tool name
            return ToolRegistry(builtin_tools()), SpecError(exc.message, None, exc.hint)
