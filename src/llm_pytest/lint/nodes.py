"""The YAML mapping behind each plan step, so findings can point at a step's keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from llm_pytest.dsl.loader import Document, MarkedDict, MarkedList, load_file
from llm_pytest.errors import SourceLocation, SpecError

__all__ = ["StepNodes"]

_STEP_LISTS = ("setup", "steps", "teardown")
Mark = tuple[int, int]


class StepNodes:
    """Finds the mapping of a step from the location a plan step keeps.

    Each file is indexed when first asked about; steps of fragments imported from other files
    are found by loading those files once.
    """

    def __init__(self, docs: Iterable[Document]) -> None:
        self._docs: dict[str, list[Document]] = {}
        for doc in docs:
            self._docs.setdefault(doc.path, []).append(doc)
        self._index: dict[str, dict[Mark, MarkedDict]] = {}

    def locate(
        self, step: SourceLocation, keys: Sequence[str | int], *, key: bool = False
    ) -> SourceLocation:
        """The location of ``keys`` inside the step at ``step`` (its key's, with ``key=True``).

        Keys that are not there give the nearest enclosing location, at worst the step's own.
        """
        node = self.node(step)
        if node is None:
            return step
        return Document(step.path, 0, node, node.loc).locate(keys, key=key)

    def node(self, step: SourceLocation) -> MarkedDict | None:
        """The mapping of the step at ``step``, if it can be found."""
        index = self._index.get(step.path)
        if index is None:
            index = self._load(step.path)
        return index.get((step.line, step.col))

    def _load(self, path: str) -> dict[Mark, MarkedDict]:
        index: dict[Mark, MarkedDict] = {}
        self._index[path] = index
        docs = self._docs.get(path)
        if docs is None:  # a file of imported fragments
            try:
                docs = load_file(path)
            except SpecError:  # the compiler reports an unreadable import already
                docs = []
        for doc in docs:
            _add(doc.data, index)
        return index


def _add(data: Any, index: dict[Mark, MarkedDict]) -> None:
    if not isinstance(data, MarkedDict):
        return
    for name in _STEP_LISTS:
        _walk(data.get(name), index)
    fragments = data.get("fragments")
    if isinstance(fragments, MarkedDict):
        for fragment in fragments.values():
            if isinstance(fragment, MarkedDict):
                _walk(fragment.get("steps"), index)


def _walk(steps: Any, index: dict[Mark, MarkedDict]) -> None:
    if not isinstance(steps, MarkedList):
        return
    for step in steps:
        if isinstance(step, MarkedDict):
            index[step.loc] = step
            _walk(step.get("steps"), index)
