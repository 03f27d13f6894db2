"""What `imports:` may read: regular files inside the project, unless more folders are allowed.

A spec may come from someone else; its imports must not read the rest of the machine (``.env``
files, keys, devices that never end). The project is the folder of the nearest pytest
configuration file at or above the spec (pytest's rootdir), else the nearest folder holding
the default plugin folder, else the spec's own folder. The environment variable
``LLM_PYTEST_IMPORT_ROOTS`` (folders separated by ``os.pathsep``) allows more; a spec cannot set
it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from llm_pytest._defaults import PLUGIN_DIR

__all__ = ["IMPORT_ROOTS_ENV", "ImportRefused", "import_roots", "resolve_import"]

IMPORT_ROOTS_ENV = "LLM_PYTEST_IMPORT_ROOTS"

_CONFIG_NAMES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)


class ImportRefused(Exception):
    """An import that cannot be read; ``message`` says what is wrong with the imported file
    (to follow its name), ``hint`` what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def import_roots(spec: Path, env: Mapping[str, str] = os.environ) -> tuple[Path, ...]:
    """The folders the imports of ``spec`` (a resolved path) may read from."""
    start = spec.parent
    bases = (start, *start.parents)
    project = next((b for b in bases if any((b / n).is_file() for n in _CONFIG_NAMES)), None)
    if project is None:
        project = next((b for b in bases if (b / PLUGIN_DIR).is_dir()), start)
    extra = [Path(p).resolve() for p in env.get(IMPORT_ROOTS_ENV, "").split(os.pathsep) if p]
    return (project, *extra)


def resolve_import(rel: str, base: Path, roots: Sequence[Path]) -> Path:
    """The regular file that ``rel`` (relative to ``base``) names; ImportRefused if it is not
    one, or lies outside ``roots`` (checked first, so nothing outside is even looked at)."""
    if "\0" in rel:
        raise ImportRefused("has a NUL character in its path", "remove it")
    try:
        target = (base / rel).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise ImportRefused(f"cannot be found: {exc}", "check the path") from None
    if not any(target.is_relative_to(root) for root in roots):
        raise ImportRefused(
            f"is outside the project ({roots[0]})",
            "imports read files inside the project only: move the file there, or add its "
            f"folder to {IMPORT_ROOTS_ENV}",
        )
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        raise ImportRefused(
            f"does not exist ({target})",
            "import paths are relative to the importing file",
        ) from None
    except OSError as exc:
        raise ImportRefused(
            f"cannot be read: {exc.strerror or exc}", "check the path and its permissions"
        ) from None
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ImportRefused(f"is {what} ({target})", "import a YAML file of fragments")
    return target
