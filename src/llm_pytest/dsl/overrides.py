"""Overrides (LANGUAGE.md §9): dotted paths into a spec document and the values they set."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from llm_pytest.dsl.loader import Document, MarkedDict
from llm_pytest.errors import OverrideError, SourceLocation, UsageError

__all__ = ["Override", "apply_overrides", "parse_override"]


@dataclass(frozen=True, slots=True)
class Override:
    """Set ``path`` (``vars.limit``, ``steps.0.retry``) to ``value``; ``source`` says who asked."""

    path: str
    value: Any
    source: str
    location: SourceLocation | None = None
    unless_set: bool = False
    """Set the path only where the spec (or an earlier override) gives it no value: a default
    such as ``--llm-deadline``."""

    def describe(self) -> str:
        return f"override `{self.path}` from {self.source}"


def parse_override(text: str, source: str = "--llm-override") -> Override:
    """``PATH=VALUE`` with VALUE read as a YAML scalar (``5`` is a number, ``true`` a boolean)."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise UsageError(
            f"{source} expects PATH=VALUE (e.g. vars.limit=5 or test.timeout=60), got {text!r}"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, dict | list) and not raw.lstrip().startswith(("{", "[")):
        value = raw
    return Override(path, value, source)


def apply_overrides(doc: Document, overrides: Iterable[Override]) -> Document:
    """A copy of ``doc`` with every override applied in order (later wins)."""
    data = copy.deepcopy(doc.data)
    for ov in overrides:
        _set(data, ov, doc)
    return Document(doc.path, doc.index, data, doc.loc)


def _set(data: Any, ov: Override, doc: Document) -> None:
    parts = ov.path.split(".")
    where = ov.location or doc.location
    if any(not p for p in parts):
        raise OverrideError(
            f"{ov.describe()}: `{ov.path}` is not a dotted path",
            where,
            hint="write e.g. vars.limit",
        )
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        so_far = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            try:
                index = int(part)
            except ValueError:
                raise OverrideError(
                    f"{ov.describe()}: `{'.'.join(parts[:depth]) or 'the spec'}` is a list; "
                    f"`{part}` is not an index",
                    where,
                    hint="use a number, e.g. steps.0.retry",
                ) from None
            if not -len(node) <= index < len(node):
                raise OverrideError(
                    f"{ov.describe()}: `{so_far}` does not exist "
                    f"(`{'.'.join(parts[:depth])}` has {len(node)} items)",
                    where,
                    hint="indexes start at 0",
                )
            if last:
                node[index] = copy.deepcopy(ov.value)
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                if not (ov.unless_set and node.get(part) is not None):
                    node[part] = copy.deepcopy(ov.value)
            else:
                if part not in node or node[part] is None:
                    node[part] = MarkedDict()
                node = node[part]
        else:
            raise OverrideError(
                f"{ov.describe()}: `{'.'.join(parts[:depth])}` is a {type(node).__name__}, "
                f"so it has no `{part}`",
                where,
                hint="override the value itself, or a path into a mapping or list",
            )
