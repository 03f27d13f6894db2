"""Which spec files to lint: the paths given, or the project's ``testpaths`` (as pytest would)."""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Sequence
from pathlib import Path

from llm_pytest._defaults import SNAPSHOT_DIR
from llm_pytest.errors import UsageError
from llm_pytest.runtime.project import ProjectConfig

__all__ = ["default_paths", "discover", "is_spec_file"]

_SUFFIXES = (".yaml", ".yml")


def default_paths(config: ProjectConfig, cwd: Path) -> list[Path]:
    """``testpaths`` (globbed, relative to the rootdir) when run from the rootdir, else ``cwd``."""
    if config.testpaths and cwd.resolve() == config.rootdir:
        found: list[Path] = []
        for entry in config.testpaths:
            pattern = str(config.rootdir / entry)
            found.extend(Path(p) for p in sorted(glob.glob(pattern, recursive=True)))
        if found:
            return found
    return [cwd]


def discover(paths: Sequence[Path], config: ProjectConfig, cwd: Path) -> list[str]:
    """Every spec file under ``paths``: files as given, folders searched for the spec patterns.

    Paths under ``cwd`` are returned relative to it. A path that does not exist is a
    :class:`UsageError`.
    """
    out: dict[str, None] = {}
    for path in paths:
        if path.is_file():
            out[_shown(path, cwd)] = None
        elif path.is_dir():
            for found in _walk(path.absolute(), config):
                out[_shown(found, cwd)] = None
        else:
            raise UsageError(f"{path}: no such file or folder")
    return list(out)


def is_spec_file(path: Path, patterns: Sequence[str]) -> bool:
    """What ``pytest --llm`` collects: a ``.yaml``/``.yml`` file whose name matches a pattern,
    outside a ``__snapshots__`` folder."""
    if path.parent.name == SNAPSHOT_DIR:
        return False
    return path.suffix in _SUFFIXES and any(fnmatch.fnmatch(path.name, p) for p in patterns)


def _walk(top: Path, config: ProjectConfig) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(
            d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in config.norecursedirs)
        )
        for name in sorted(files):
            path = Path(folder) / name
            if is_spec_file(path, config.spec_patterns):
                found.append(path)
    return found


def _shown(path: Path, cwd: Path) -> str:
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(cwd.absolute()))
    except ValueError:
        return str(absolute)
