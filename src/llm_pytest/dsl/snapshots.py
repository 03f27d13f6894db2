"""A step's ``snapshot:`` and ``snapshot_ignore:`` compiled: where the snapshot is kept, under
which keys, and the ignored paths parsed (``id``, ``user.created_at``, ``users[*].id``,
``items[0]["odd key"]``; a leading ``result.`` may be written and means the same)."""

from __future__ import annotations

import re
from pathlib import Path

from llm_pytest._defaults import SNAPSHOT_DIR
from llm_pytest.dsl.loader import Document
from llm_pytest.dsl.spec import ToolStep
from llm_pytest.dsl.textpos import string_locator
from llm_pytest.errors import SpecError, ValidationError
from llm_pytest.model.plan import IgnorePath, SnapshotPlan

__all__ = ["SNAPSHOT_DIR", "compile_snapshot", "parse_ignore_path", "snapshot_file"]

Path_ = tuple[str | int, ...]

_SEGMENT = re.compile(
    r"""\.?(?P<name>[A-Za-z_][A-Za-z0-9_-]*)
      | \[\s*(?:(?P<index>-?\d+) | (?P<star>\*)
               | "(?P<dq>(?:[^"\\]|\\.)*)" | '(?P<sq>(?:[^'\\]|\\.)*)')\s*\]
    """,
    re.VERBOSE,
)


def snapshot_file(spec_path: str) -> Path:
    """``__snapshots__/<spec stem>.yaml`` beside the spec file."""
    spec = Path(spec_path).resolve()
    return spec.parent / SNAPSHOT_DIR / f"{spec.stem}.yaml"


def parse_ignore_path(text: str) -> tuple[IgnorePath, int | None]:
    """The path ``text`` names, and None; or ``()`` and the offset where it stops making sense."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    pos = start
    first = True  # the first field is written without a dot, every later one with one
    if text.startswith("result", pos) and (pos + 6 == end or text[pos + 6] in ".["):
        pos, first = pos + 6, False
    out: list[str | int | None] = []
    while pos < end:
        match = _SEGMENT.match(text, pos)
        if match is None:
            return (), pos
        if match.group("name") is not None:
            if (text[pos] == ".") == first:
                return (), pos
            out.append(match.group("name"))
        elif match.group("index") is not None:
            out.append(int(match.group("index")))
        elif match.group("star"):
            out.append(None)
        else:
            quoted = match.group("dq") if match.group("dq") is not None else match.group("sq")
            out.append(re.sub(r"\\(.)", r"\1", quoted))
        first, pos = False, match.end()
    return (tuple(out), None) if out else ((), start)


def compile_snapshot(
    step: ToolStep,
    doc: Document,
    path: Path_,
    *,
    spec_path: str,
    item: str,
    step_id: str,
    errors: list[SpecError],
) -> SnapshotPlan | None:
    """The plan of ``step``'s snapshot (None without one); a bad ignore path is a located error
    in ``errors``. ``spec_path`` is the spec file the item comes from (a fragment's step keeps
    its snapshot beside the spec that uses it)."""
    ignore: list[IgnorePath] = []
    for i, text in enumerate(step.snapshot_ignore):
        parsed, stop = parse_ignore_path(text)
        if stop is not None:
            loc, locate = string_locator(doc.locate([*path, "snapshot_ignore", i]), text)
            errors.append(
                ValidationError(
                    f"`snapshot_ignore` path `{text}` is not a path into the result",
                    locate(stop) if stop < len(text) else loc,
                    hint="write fields and indexes as in expressions: `id`, `user.created_at`, "
                    '`users[*].id` (every element), `items[0]["odd key"]`',
                )
            )
            continue
        ignore.append(parsed)
    if step.snapshot is None or step.snapshot is False:
        return None
    name = step.snapshot if isinstance(step.snapshot, str) else step.name or step_id
    return SnapshotPlan(
        file=str(snapshot_file(spec_path)),
        item=item,
        name=name,
        ignore=tuple(ignore),
        ignore_source=tuple(step.snapshot_ignore),
        location=doc.locate([*path, "snapshot"]),
    )
