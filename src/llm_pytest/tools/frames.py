"""Where a tool's exception came from: the frames of its traceback, and which of them are the
project's own code.

A frame is the project's code ("user code") unless its file is inside the llm_pytest package,
an installed package (``site-packages``, ``dist-packages``), Python's standard library, or no
real file at all (``<frozen ...>``, ``<string>``). The innermost such frame is where a failure
is shown: for a ``KeyError`` raised by ``dict[...]`` inside a plugin method, the method's line;
for one raised two calls deep in a helper module, the helper's line.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from functools import cache
from pathlib import Path

from llm_pytest.model.trace import Frame, Raised

__all__ = ["MAX_FRAMES", "frames_of", "is_user_file", "raised_at"]

MAX_FRAMES = 50
"""Frames kept of one traceback (the innermost ones): enough for any plugin, bounded for a
runaway recursion."""

_PACKAGE = Path(__file__).resolve().parents[1]
_INSTALLED = ("site-packages", "dist-packages")


@cache
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {str(Path(paths[k]).resolve()) for k in ("stdlib", "platstdlib") if k in paths}
    dirs.add(str(_PACKAGE))
    return tuple(sorted(dirs))


@cache
def is_user_file(filename: str) -> bool:
    """Whether code in ``filename`` is the project's own (see the module's docstring)."""
    if not filename or filename.startswith("<"):
        return False
    resolved = os.path.realpath(filename)
    if any(part in _INSTALLED for part in Path(resolved).parts):
        return False
    return not any(resolved == d or resolved.startswith(d + os.sep) for d in _library_dirs())


def frames_of(exc: BaseException) -> tuple[Frame, ...]:
    """The frames ``exc``'s traceback went through, outermost first (at most MAX_FRAMES, the
    innermost ones)."""
    summaries = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
    return tuple(
        Frame(
            path=_shown(s.filename),
            line=s.lineno or 0,
            function=s.name,
            code=(s.line or "").strip() or None,
            user=is_user_file(s.filename),
        )
        for s in summaries
    )


def raised_at(exc: BaseException | None) -> Raised | None:
    """Where ``exc`` was raised in the project's code, or None when none of its frames is the
    project's (an error of llm-pytest itself, of an MCP server, a timeout)."""
    if exc is None or exc.__traceback__ is None:
        return None
    frames = frames_of(exc)
    for frame in reversed(frames):
        if frame.user:
            return Raised(frame, frames)
    return None


def _shown(filename: str) -> str:
    """``filename`` relative to the working directory when it is under it, as spec paths are."""
    if filename.startswith("<"):
        return filename
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith(os.pardir) else relative
