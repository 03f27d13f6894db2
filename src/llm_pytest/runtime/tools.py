"""The tools a spec can call: its plugin folders, the registry built from them, and the check
that every tool its steps name is there before anything runs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from llm_pytest.errors import SpecError, ToolError, ValidationError, closest
from llm_pytest.model.plan import Plan, iter_tool_calls
from llm_pytest.runtime.project import find_config
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["PluginDirs", "SpecTools", "build_registry", "missing_tools", "project_plugin_dirs"]


def project_plugin_dirs(spec_path: str | os.PathLike[str]) -> tuple[Path, ...]:
    """The plugin folders the configuration of the spec's project names (ini
    ``llm_plugin_dirs``, else ``tests/llm/plugins`` under its rootdir), found from the spec
    as ``pytest --llm`` finds them, whatever the working directory."""
    return find_config(Path(spec_path).resolve().parent).plugin_dirs


@dataclass(frozen=True)
class PluginDirs:
    """The folders plugins are looked for in, and those of them that exist."""

    looked_in: tuple[Path, ...]

    @classmethod
    def of_spec(
        cls, plugin_dirs: Iterable[str | os.PathLike[str]], spec_path: str | os.PathLike[str]
    ) -> PluginDirs:
        """``plugin_dirs``, then the spec's own ``plugins/`` folder."""
        return cls((*map(Path, plugin_dirs), Path(spec_path).resolve().parent / "plugins"))

    @property
    def found(self) -> tuple[Path, ...]:
        """The folders that exist, resolved, each once (a folder loaded twice would clash
        with itself)."""
        return tuple(dict.fromkeys(f.resolve() for f in self.looked_in if f.is_dir()))


def build_registry(plugin_dirs: Iterable[str | os.PathLike[str]] = ()) -> ToolRegistry:
    """The built-in tools plus the plugins found in ``plugin_dirs`` (each folder once) and
    installed entry points."""
    from llm_pytest.tools.builtin import builtin_tools
    from llm_pytest.tools.plugins.loader import discover_plugins

    dirs = list(dict.fromkeys(Path(d).resolve() for d in plugin_dirs if Path(d).is_dir()))
    return ToolRegistry([*builtin_tools(), *discover_plugins(dirs)])


class SpecTools:
    """The registries of specs that share ``plugin_dirs``, each set of folders loaded once."""

    def __init__(self, plugin_dirs: Iterable[str | os.PathLike[str]]) -> None:
        self._dirs = tuple(Path(d) for d in plugin_dirs)
        self._built: dict[tuple[Path, ...], ToolRegistry] = {}

    def dirs(self, spec_path: str | os.PathLike[str]) -> PluginDirs:
        """Where the plugins of the spec at ``spec_path`` are looked for."""
        return PluginDirs.of_spec(self._dirs, spec_path)

    def registry(self, spec_path: str | os.PathLike[str]) -> ToolRegistry:
        """The registry of the spec at ``spec_path``; plugin problems raise :class:`SpecError`
        (located in the plugin) or :class:`ToolError` (two tools with one name)."""
        key = self.dirs(spec_path).found
        registry = self._built.get(key)
        if registry is None:
            registry = self._built[key] = build_registry(key)
        return registry


def missing_tools(
    plans: Iterable[Plan], registry: ToolRegistry, dirs: PluginDirs
) -> list[SpecError]:
    """An error at each step whose tool no plugin or built-in offers, with a suggestion or the
    folders ``dirs`` looked in for plugins: a spec that cannot run fails before it starts, not
    halfway through.

    Tools of a plan's MCP servers are only known once the servers run, so names under a
    declared server (``<server>_`` or ``<server>.``) are left to the run.
    """
    errors: dict[str, SpecError] = {}
    for plan in plans:
        prefixes = tuple(p for s in plan.mcp_servers for p in (f"{s.name}_", f"{s.name}."))
        for call in iter_tool_calls(plan.setup + plan.steps + plan.teardown):
            if call.tool in registry or (prefixes and call.tool.startswith(prefixes)):
                continue
            try:
                registry.get(call.tool)
            except ToolError as exc:
                hint = _hint(call.tool, registry, dirs, exc.hint)
                errors.setdefault(
                    str(call.location), ValidationError(exc.message, call.location, hint)
                )
    return list(errors.values())


def _hint(name: str, registry: ToolRegistry, dirs: PluginDirs, hint: str | None) -> str | None:
    if closest(name, registry.names()):
        return hint  # the registry's "did you mean"
    if not dirs.found:
        return (
            "no plugin folder was found: plugins go in tests/llm/plugins under the rootdir, a "
            "plugins/ folder beside the spec, or a folder ini llm_plugin_dirs names; "
            "MCP tools are named <server>_<tool>"
        )
    where = ", ".join(_shown(folder) for folder in dirs.found)
    return (
        f"plugins are looked for in {where} (ini llm_plugin_dirs names others); "
        "MCP tools are named <server>_<tool>"
    )


def _shown(folder: Path) -> str:
    relative = os.path.relpath(folder)
    return folder.as_posix() if relative.startswith("..") else Path(relative).as_posix()
