"""The keys the spec language has at a place in a spec document, read from the models of
:mod:`~llm_pytest.dsl.spec`, so that an override can tell a new key of a free mapping (a var, a
tool argument) from a field of the language and from a typo."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel

from llm_pytest.dsl.spec import Spec

__all__ = ["ROOT", "Place", "item_of", "place_of"]

ROOT: Any = Spec
"""What a spec document is."""


@dataclass(frozen=True, slots=True)
class Place:
    """What a mapping of the document may hold: the language's ``fields`` (key → what its
    value is), and, for a free mapping (``vars``, ``args``, ``env``), what its values are."""

    fields: dict[str, Any]
    values: Any = None
    """What every value of a free mapping is; None when the mapping is not free."""

    @property
    def free(self) -> bool:
        return self.values is not None or not self.fields

    def child(self, key: str) -> Any:
        """What the value under ``key`` is (``Any`` when nothing says)."""
        if key in self.fields:
            return self.fields[key]
        return self.values if self.values is not None else Any


def place_of(annotation: Any) -> Place:
    """The keys a mapping described by ``annotation`` may hold (a model, a union of models, a
    ``dict[str, X]``, or anything else: a free mapping of anything)."""
    fields: dict[str, Any] = {}
    values: Any = None
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            for name, info in member.model_fields.items():
                fields.setdefault(info.alias or name, info.annotation)
        elif get_origin(member) is dict:
            args = get_args(member)
            values = args[1] if len(args) == 2 else Any
        elif member is Any:
            values = Any
    return Place(fields, values)


def item_of(annotation: Any) -> Any:
    """What the items of a list described by ``annotation`` are (``Any`` when nothing says)."""
    for member in _members(annotation):
        if get_origin(member) is list:
            args = get_args(member)
            return args[0] if args else Any
    return Any


def _members(annotation: Any) -> list[Any]:
    """The alternatives ``annotation`` allows, without ``None`` and ``Annotated`` wrappers."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    if annotation is type(None):
        return []
    return [annotation]
