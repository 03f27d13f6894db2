"""A step's ``snapshot``: its result compared with the one kept in ``__snapshots__/<spec>.yaml``.

The file maps each item's name to its snapshots by name, as readable YAML with sorted keys, so a
change reads well in a code review. Values are stored as the trace records them: secrets from
the environment redacted, the ``snapshot_ignore`` paths replaced by :data:`IGNORED`.

A missing snapshot is written, except in CI (``CI`` set), where it fails: a snapshot that is
never committed would be written afresh on every CI run and check nothing. With
``--llm-snapshot-update`` changed snapshots are rewritten; the first run of an item that
writes one is the one later runs of the item compare with, so all its runs compare against the
same snapshot.

Concurrency: runs of one item, items run ahead (``--llm-parallel``) and xdist workers may all
write the same file. Each read-compare-write holds an exclusive lock for the whole file, so no
write loses another's snapshots, and the file is replaced atomically (a temporary file in the
same directory, then ``os.replace``), so no reader ever sees half a file. A lock rather than a
merge of per-worker files: the file stays the one thing to commit, and a worker compares with
what another has just written instead of writing the same new snapshot twice.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import yaml

from llm_pytest.model.jsonsafe import json_safe
from llm_pytest.model.plan import IgnorePath, SnapshotPlan
from llm_pytest.model.trace import CheckRecord

__all__ = ["IGNORED", "Snapshots", "ci_is_set"]

IGNORED = "<ignored>"
"""What a ``snapshot_ignore`` path's value is stored and compared as."""
DIFF_LINES = 80
"""Lines of a snapshot's diff shown in a failure; the rest are counted."""
HEADER = (
    "# Snapshots of step results, checked by llm-pytest. Review changes like code;\n"
    "# `pytest --llm --llm-snapshot-update` rewrites the ones that changed.\n"
)

Redact = Callable[[Any], Any]
# libyaml when present: a file of large results is read on every comparison
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def ci_is_set(env: dict[str, str] | Any) -> bool:
    """Whether ``env`` says this is a CI run: ``CI`` set to anything but empty, 0 or false."""
    value = str(env.get("CI", "")).strip().lower()
    return value not in ("", "0", "false", "no")


class Snapshots:
    """How the runs sharing one :class:`~.runner.RunSettings` treat snapshots: ``update``
    rewrites changed ones; ``ci`` makes a missing one a failure."""

    def __init__(self, *, update: bool = False, ci: bool = False) -> None:
        self.update = update
        self.ci = ci
        self._rewritten: set[tuple[str, str, str]] = set()
        # a file's data as last read or written here, by its identity (inode, mtime, size):
        # every write replaces the file, so any other writer's change is seen as a new file
        self._read: dict[Path, tuple[tuple[int, int, int], dict[str, dict[str, Any]]]] = {}

    async def check(
        self, plan: SnapshotPlan, value: Any, redact: Redact
    ) -> tuple[CheckRecord, str | None, str | None]:
        """The record of comparing ``value`` with ``plan``'s snapshot, the step's error (None
        when it matches or was written) and a note saying what was written, if anything."""
        current = _without(redact(json_safe(value)), plan.ignore)
        return await anyio.to_thread.run_sync(self._check, plan, current)

    def _check(
        self, plan: SnapshotPlan, current: Any
    ) -> tuple[CheckRecord, str | None, str | None]:
        file = Path(plan.file)
        shown = _shown(file)
        label = f"snapshot {plan.name}"
        location = str(plan.location)
        key = (plan.file, plan.item, plan.name)
        if self.ci and not self.update and not file.exists():
            message = _missing(plan, shown)
            return _failed(label, location, shown, message), message, None
        with _locked(file.parent):
            try:
                data = self._load(file)
            except ValueError as exc:
                message = f"{shown} cannot be read: {exc}"
                return _failed(label, location, shown, message), message, None
            stored = data.get(plan.item, {})
            if plan.name in stored:
                if _same(stored[plan.name], current):
                    return _passed(label, location, shown), None, None
                if not self.update or key in self._rewritten:
                    diff = _diff(_dump(stored[plan.name]), _dump(current))
                    message = (
                        f"the result differs from the snapshot `{plan.name}` of "
                        f"`{plan.item}` in {shown} (run with --llm-snapshot-update to accept "
                        f"it):\n{diff}"
                    )
                    shown_diff = f"{diff}\n(pytest --llm --llm-snapshot-update accepts it)"
                    return _failed(label, location, shown, shown_diff), message, None
                done = "updated"
            elif self.ci and not self.update:
                message = _missing(plan, shown)
                return _failed(label, location, shown, message), message, None
            else:
                done = "written"
            data = _load(file)  # afresh: a write must keep whatever the file holds now
            data = {**data, plan.item: {**data.get(plan.item, {}), plan.name: current}}
            _write(file, data)
            self._read[file] = (_identity(file), data)
            self._rewritten.add(key)
        note = f"snapshot {done}: `{plan.name}` in {shown}"
        record = CheckRecord(label, True, location, [(done, shown)], kind="snapshot")
        return record, None, note

    def _load(self, file: Path) -> dict[str, dict[str, Any]]:
        try:
            identity = _identity(file)
        except FileNotFoundError:
            return {}
        known = self._read.get(file)
        if known is not None and known[0] == identity:
            return known[1]
        data = _load(file)
        self._read[file] = (identity, data)
        return data


def _identity(file: Path) -> tuple[int, int, int]:
    stat = file.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _missing(plan: SnapshotPlan, shown: str) -> str:
    return (
        f"there is no snapshot `{plan.name}` of `{plan.item}` in {shown}, and in CI (CI is set) "
        "snapshots are not written: run `pytest --llm --llm-snapshot-update` locally and commit "
        "the file"
    )


def _passed(label: str, location: str, shown: str) -> CheckRecord:
    return CheckRecord(label, True, location, [("matches", shown)], kind="snapshot")


def _failed(label: str, location: str, shown: str, error: str) -> CheckRecord:
    return CheckRecord(label, False, location, [("file", shown)], error, kind="snapshot")


def _without(value: Any, paths: tuple[IgnorePath, ...]) -> Any:
    for path in paths:
        value = _replace(value, path)
    return value


def _replace(value: Any, path: IgnorePath) -> Any:
    """``value`` with what ``path`` names set to IGNORED; parts of the path that are not there
    are passed over (an optional field is ignored only where it appears)."""
    if not path:
        return IGNORED
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(head, str) and head in value:
        return {**value, head: _replace(value[head], rest)}
    if isinstance(value, list):
        if head is None:
            return [_replace(item, rest) for item in value]
        if isinstance(head, int) and -len(value) <= head < len(value):
            out = list(value)
            out[head] = _replace(out[head], rest)
            return out
    if isinstance(value, dict) and head is None:
        return {k: _replace(v, rest) for k, v in value.items()}
    return value


def _same(stored: Any, current: Any) -> bool:
    """Whether two values are the same data, types included (``1`` is not ``1.0`` or ``true``)."""
    if type(stored) is not type(current):
        return False
    if isinstance(stored, dict):
        return stored.keys() == current.keys() and all(_same(stored[k], current[k]) for k in stored)
    if isinstance(stored, list):
        return len(stored) == len(current) and all(map(_same, stored, current))
    return bool(stored == current)


def _dump(value: Any) -> str:
    text: str = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=True,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text


def _diff(old: str, new: str) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "snapshot", "result", lineterm="", n=2
        )
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... and {len(lines) - DIFF_LINES} more lines"]
    return "\n".join(lines)


def _load(file: Path) -> dict[str, dict[str, Any]]:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ValueError(f"it is not valid YAML ({exc}); fix it or delete it") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError("it must map item names to their snapshots by name; fix it or delete it")
    return data


def _write(file: Path, data: dict[str, dict[str, Any]]) -> None:
    """Replace ``file`` at once: a reader sees the old file or the new, never part of one."""
    text = HEADER + _dump(data)
    handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _shown(file: Path) -> str:
    """``file`` relative to the working directory when it is under it."""
    try:
        return str(file.relative_to(Path.cwd()))
    except ValueError:
        return str(file)


if sys.platform == "win32":
    import msvcrt

    @contextmanager
    def _locked(directory: Path) -> Iterator[None]:
        """Hold the lock of the snapshots in ``directory`` (a lock file: Windows cannot lock
        a directory)."""
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / ".lock", "a+b") as handle:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    @contextmanager
    def _locked(directory: Path) -> Iterator[None]:
        """Hold the lock of the snapshots in ``directory``: ``flock`` on the directory itself,
        so no lock file is left beside the snapshots (and none needs ignoring in git)."""
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
