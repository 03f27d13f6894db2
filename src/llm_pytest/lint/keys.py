"""W107: a mapping key holding ``${`` (under ``vars:``, ``args:``, ``with:``, ...).

Only values are interpolated; a key is used exactly as written, so ``${...}`` in it is a
mistake. In a document that validated, every such key is one of a free-form mapping.
"""

from __future__ import annotations

from typing import Any

from llm_pytest.dsl.loader import Document, MarkedDict, MarkedList
from llm_pytest.errors import SourceLocation
from llm_pytest.lint.findings import Finding

__all__ = ["template_keys"]


def template_keys(doc: Document) -> list[Finding]:
    """A W107 finding for each key of ``doc`` that holds ``${``."""
    out: list[Finding] = []
    _walk(doc.data, doc.path, out)
    return out


def _walk(node: Any, path: str, out: list[Finding]) -> None:
    kind = type(node)
    if kind is MarkedDict:
        for key, value in node.items():
            if type(key) is str and "${" in key:
                out.append(_finding(key, SourceLocation(path, *node.key_locs.get(key, node.loc))))
            if type(value) is MarkedDict or type(value) is MarkedList:
                _walk(value, path, out)
    elif kind is MarkedList:
        for item in node:
            if type(item) is MarkedDict or type(item) is MarkedList:
                _walk(item, path, out)


def _finding(key: str, where: SourceLocation) -> Finding:
    return Finding(
        "W107",
        where,
        f"the key `{key}` stays as written: keys are not interpolated, only values are",
        "write the key out in full; `${...}` works in values only",
    )
