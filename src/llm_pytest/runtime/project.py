"""The pytest configuration of a project, read from its config file without starting pytest.

The file is found the way pytest finds it: from the start folder upwards, the first of
``pytest.toml``, ``.pytest.toml``, ``pytest.ini``, ``.pytest.ini``, ``pyproject.toml`` (with a
``[tool.pytest]`` or ``[tool.pytest.ini_options]`` table), ``tox.ini`` (``[pytest]``) and
``setup.cfg`` (``[tool:pytest]``) that holds pytest settings. Its folder is the rootdir. Without
one, the rootdir is the nearest folder at or above the start that holds the default plugin
folder, so a project is found from any of its specs, whatever the working directory.
"""

from __future__ import annotations

import configparser
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_pytest._defaults import PLUGIN_DIR, SPEC_PATTERNS
from llm_pytest.errors import UsageError

__all__ = [
    "DEFAULT_NORECURSEDIRS",
    "DEFAULT_PLUGIN_DIR",
    "DEFAULT_SPEC_PATTERNS",
    "ProjectConfig",
    "find_config",
]

DEFAULT_SPEC_PATTERNS = SPEC_PATTERNS
DEFAULT_PLUGIN_DIR = PLUGIN_DIR
DEFAULT_NORECURSEDIRS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv")
_CONFIG_NAMES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)


@dataclass(frozen=True)
class ProjectConfig:
    """The settings of one pytest project that decide which specs exist and which tools.

    ``plugin_dirs``: ini ``llm_plugin_dirs`` relative to the rootdir, else its
    ``tests/llm/plugins``.
    """

    rootdir: Path
    inifile: Path | None
    testpaths: tuple[str, ...]
    spec_patterns: tuple[str, ...]
    plugin_dirs: tuple[Path, ...]
    norecursedirs: tuple[str, ...]


def find_config(start: Path) -> ProjectConfig:
    """The configuration that applies to ``start`` (a folder); defaults when there is none."""
    start = start.resolve()
    pyproject: Path | None = None
    for base in (start, *start.parents):
        for name in _CONFIG_NAMES:
            candidate = base / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml" and pyproject is None:
                pyproject = candidate
            values = _read(candidate)
            if values is not None:
                return _config(base, candidate, values)
    if pyproject is not None:
        return _config(pyproject.parent, pyproject, {})
    holder = next((b for b in (start, *start.parents) if (b / DEFAULT_PLUGIN_DIR).is_dir()), start)
    return _config(holder, None, {})


def _config(rootdir: Path, inifile: Path | None, values: Mapping[str, Any]) -> ProjectConfig:
    where = f" (in {inifile})" if inifile else ""
    return ProjectConfig(
        rootdir=rootdir,
        inifile=inifile,
        testpaths=_strings(values.get("testpaths"), "testpaths" + where) or (),
        spec_patterns=_strings(values.get("llm_spec_patterns"), "llm_spec_patterns" + where)
        or DEFAULT_SPEC_PATTERNS,
        plugin_dirs=tuple(
            rootdir / d
            for d in _strings(values.get("llm_plugin_dirs"), "llm_plugin_dirs" + where)
            or (DEFAULT_PLUGIN_DIR,)
        ),
        norecursedirs=_strings(values.get("norecursedirs"), "norecursedirs" + where)
        or DEFAULT_NORECURSEDIRS,
    )


def _strings(value: Any, what: str) -> tuple[str, ...]:
    """An ini value as a list: TOML lists as they are, ini text split like a command line."""
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise UsageError(f"{what}: cannot read {value!r}: {exc}") from None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UsageError(f"{what}: expected a list of strings, got {value!r}")


def _read(path: Path) -> Mapping[str, Any] | None:
    """The pytest settings in ``path``, or None when it holds none."""
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"cannot read {path}: {exc}") from None
        if path.name in ("pytest.toml", ".pytest.toml"):
            table = data.get("pytest", {})
            return table if isinstance(table, dict) else {}
        tool = data.get("tool", {}).get("pytest")
        if not isinstance(tool, dict):
            return None
        native = {k: v for k, v in tool.items() if k != "ini_options"}
        ini = tool.get("ini_options")
        return native or (ini if isinstance(ini, dict) else None)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    section = "tool:pytest" if path.suffix == ".cfg" else "pytest"
    if parser.has_section(section):
        return dict(parser.items(section))
    return {} if path.name in ("pytest.ini", ".pytest.ini") else None
