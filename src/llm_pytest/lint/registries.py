"""The tools each spec can call, found the way ``pytest --llm`` finds them.

Built-in tools, installed plugins (entry points), the plugin folders of the configuration
(ini ``llm_plugin_dirs``) and the spec's own ``plugins/`` folder. Each distinct set of folders
is loaded once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from llm_pytest.errors import SpecError, ToolError
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["Registries"]


class Registries:
    """A tool registry per spec folder, with why plugins failed to load where they did."""

    def __init__(self, plugin_dirs: Iterable[Path]) -> None:
        self._dirs = tuple(plugin_dirs)
        self._built: dict[tuple[Path, ...], tuple[ToolRegistry, SpecError | None]] = {}

    def for_spec(self, spec_path: str) -> tuple[ToolRegistry, SpecError | None]:
        """The registry for the spec at ``spec_path``, and the error of plugins that failed
        (then the registry holds the built-in tools only)."""
        from llm_pytest.api import spec_plugin_dirs

        key = spec_plugin_dirs(self._dirs, spec_path)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = _build(key)
        return built


def _build(folders: tuple[Path, ...]) -> tuple[ToolRegistry, SpecError | None]:
    from llm_pytest.api import build_registry
    from llm_pytest.tools.builtin import builtin_tools

    try:
        return build_registry(folders), None
    except SpecError as exc:  # located in the plugin's source
        return ToolRegistry(builtin_tools()), exc
    except ToolError as exc:  # e.g. two plugins with one tool name
        return ToolRegistry(builtin_tools()), SpecError(exc.message, None, exc.hint)
