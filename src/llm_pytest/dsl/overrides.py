"""Overrides (docs/language.md §9): dotted paths into a spec document and the values they set.

A path must match the spec: each key it names is in the document, or is a key the spec
language has there (``test.timeout`` of a spec that sets none). A key of a free mapping that the
spec does not have (``vars.nope``, a typo more often than not) matches nothing, unless the path
asks to add it: ``+vars.name=value``. Applying a path that matches nothing raises
:class:`NoMatch`, with the closest key there. An experiment's override must match its test; an
override given for many tests (the command line, the Python API) is left out of the tests it
matches nothing in, and is an error only when it matches none of them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from llm_pytest.dsl.loader import Document, MarkedDict
from llm_pytest.dsl.spec_paths import ROOT, Place, item_of, place_of
from llm_pytest.errors import OverrideError, SourceLocation, UsageError, closest

__all__ = ["NoMatch", "Override", "apply_overrides", "overlapping", "parse_override"]


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
    required: bool = True
    """Matching none of the tests of a file is an error of the file (False: whoever gives the
    override for several files checks that it matched somewhere, as a pytest session does)."""

    @property
    def adds(self) -> bool:
        """``+vars.name``: the path may add a key the spec does not have (a new var, a new
        tool argument), which a path that matches nothing in the spec may not."""
        return self.path.startswith("+")

    @property
    def target(self) -> str:
        """The dotted path, without the ``+`` of an addition."""
        return self.path.removeprefix("+").strip()

    def describe(self) -> str:
        return f"override `{self.path}` from {self.source}"


class NoMatch(OverrideError):
    """An override whose path matches nothing in the spec; ``why`` says where it stops."""

    def __init__(
        self, override: Override, why: str, location: SourceLocation, hint: str | None
    ) -> None:
        super().__init__(
            f"{override.describe()} matches nothing in the spec: {why}", location, hint
        )
        self.override = override
        self.why = why


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


def overlapping(path: str, other: str) -> bool:
    """Whether setting dotted ``path`` sets (part of) what ``other`` sets, or the reverse."""
    return path == other or path.startswith(other + ".") or other.startswith(path + ".")


def apply_overrides(doc: Document, overrides: Iterable[Override]) -> Document:
    """A copy of ``doc`` with every override applied in order (later wins)."""
    data = copy.deepcopy(doc.data)
    for ov in overrides:
        _set(data, ov, doc)
    return Document(doc.path, doc.index, data, doc.loc)


def _set(data: Any, ov: Override, doc: Document) -> None:
    parts = ov.target.split(".")
    where = ov.location or doc.location
    if any(not p for p in parts):
        raise OverrideError(
            f"{ov.describe()}: `{ov.path}` is not a dotted path",
            where,
            hint="write e.g. vars.limit",
        )
    node = data
    shape: Any = ROOT
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
            shape = item_of(shape)
            if last:
                node[index] = copy.deepcopy(ov.value)
            else:
                node = node[index]
        elif isinstance(node, dict):
            place = place_of(shape)
            if part not in node:
                _check_new_key(ov, parts[:depth], part, node, place, where)
            shape = place.child(part)
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


def _check_new_key(
    ov: Override,
    parents: list[str],
    key: str,
    node: dict[str, Any],
    place: Place,
    where: SourceLocation,
) -> None:
    """Raise unless ``key``, which ``node`` lacks, may be added: a field of the language there,
    or a new key of a free mapping asked for with ``+``."""
    if key in place.fields:
        return
    parent = ".".join(parents)
    inside = f"`{parent}`" if parent else "the spec"
    if not place.free:
        near = closest(key, [*place.fields, *node])
        raise NoMatch(
            ov,
            f"{inside} has no key `{key}`",
            where,
            f"did you mean `{_joined(parents, near)}`?"
            if near
            else f"the keys of {inside} are: {', '.join(sorted(place.fields))}",
        )
    if ov.adds:
        return
    near = closest(key, [str(k) for k in node])
    declare = " or declare it under `vars:` in the spec" if parents == ["vars"] else ""
    add = f"to add `{key}`, write the path as `+{ov.target}`{declare}"
    raise NoMatch(
        ov,
        f"{inside} has no `{key}`",
        where,
        f"did you mean `{_joined(parents, near)}`? ({add})" if near else add,
    )


def _joined(parents: list[str], key: str | None) -> str:
    return ".".join([*parents, str(key)])
