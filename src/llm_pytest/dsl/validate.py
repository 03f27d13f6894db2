"""Validate loaded documents against the models, turning pydantic errors into located advice."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, Discriminator, Tag

from llm_pytest.dsl.loader import Document
from llm_pytest.errors import SpecError, SpecErrors, ValidationError, closest

__all__ = ["describe_path", "validate_data", "validate_document"]

M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "none_required": "null",
}

_KIND_NAMES = {
    "ToolStep": "a tool step",
    "RepeatStep": "a repeat block",
    "UseStep": "a fragment use",
    "SpecInfo": "`test`",
    "McpStdioServer": "a stdio MCP server",
    "McpHttpServer": "an HTTP MCP server",
    "Experiment": "an experiment",
    "Verdict": "`verdict`",
    "JudgeSettings": "`judge`",
    "FragmentDef": "a fragment",
    "FragmentFile": "a fragment file",
    "Spec": "the spec's top level",
}

_STEP_HINT = (
    "a step needs `tool: <name>` (a tool call), `repeat` + `steps` (a repeat block) "
    "or `use: <fragment>`"
)


def validate_document(doc: Document, model: type[M]) -> M:
    """Validate ``doc`` against ``model``; every problem is reported in one :class:`SpecErrors`."""
    return validate_data(doc.data, doc, model)


def validate_data(data: Any, doc: Document, model: type[M]) -> M:
    """Validate ``data`` (``doc``'s data, or an overridden copy) against ``model``."""
    if not isinstance(data, dict):
        got = "an empty document" if data is None else f"{type(data).__name__} {data!r:.40}"
        raise SpecErrors(
            [
                ValidationError(
                    f"a spec must be a mapping with `test` and `steps`, got {got}",
                    doc.location,
                    hint="start the document with `test: {name: ...}` and `steps: [...]`",
                    kind="type",
                )
            ]
        )
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise SpecErrors(_translate(exc, doc, model)) from None


def describe_path(path: Sequence[str | int]) -> str:
    """``("steps", 0, "args")`` → ``steps[0].args``."""
    out = ""
    for part in path:
        if part == "[key]":
            out += " (a key)"
        elif isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "the document"


@dataclass
class _Resolved:
    path: list[str | int]
    model: type[BaseModel] | None  # the innermost model on the path


def _translate(
    exc: pydantic.ValidationError, doc: Document, model: type[BaseModel]
) -> list[SpecError]:
    grouped: dict[tuple[str | int, ...], list[tuple[dict[str, Any], _Resolved]]] = {}
    for details in exc.errors(include_url=False):
        resolved = _resolve(model, details["loc"])
        grouped.setdefault(tuple(resolved.path), []).append((dict(details), resolved))
    out: list[SpecError] = []
    for path, errs in grouped.items():
        type_errors = [e for e, _ in errs if e["type"] in _EXPECTED]
        if len(type_errors) > 1 and len(type_errors) == len(errs):
            out.append(_union_error(list(path), type_errors, doc))
            continue
        out.extend(_one_error(e, r, doc) for e, r in errs)
    return out


def _union_error(path: list[str | int], errs: list[dict[str, Any]], doc: Document) -> SpecError:
    expected = " or ".join(dict.fromkeys(_EXPECTED[e["type"]] for e in errs))
    value = errs[0]["input"]
    return ValidationError(
        f"`{describe_path(path)}` must be {expected}, got {_show(value)}",
        doc.locate(path),
        hint=f"write {expected}",
        kind="type",
    )


def _one_error(err: dict[str, Any], resolved: _Resolved, doc: Document) -> SpecError:
    path = resolved.path
    kind = err["type"]
    where = describe_path(path)
    owner = _KIND_NAMES.get(resolved.model.__name__, "this mapping") if resolved.model else ""
    if path and path[-1] == "[key]" and kind in _EXPECTED:
        key = path[-2]
        return ValidationError(
            f"the key {_show(key)} of `{describe_path(path[:-2])}` must be {_EXPECTED[kind]}",
            doc.locate(path[:-1], key=True),
            hint=f'quote the key: `"{key}":`',
            kind="type",
        )
    if kind == "extra_forbidden":
        key = str(path[-1])
        valid = _keys(resolved.model)
        guess = closest(key, valid)
        conflict = _conflict_hint(key, resolved.model)
        hint = conflict or (
            f"did you mean `{guess}`?"
            if guess
            else f"remove it or check its spelling; valid keys: {', '.join(valid)}"
        )
        return ValidationError(
            f"unknown key `{key}`: not a valid field of {owner}",
            doc.locate(path, key=True),
            hint,
            kind="unknown_key",
        )
    if kind == "missing":
        key = str(path[-1])
        parent = path[:-1]
        hint = _STEP_HINT if key == "tool" else f"add `{key}:` to {describe_path(parent)}"
        if key == "steps" and len(parent) == 0:
            hint = "add `steps:` with at least one step"
        return ValidationError(
            f"missing required key `{key}` in {describe_path(parent)}",
            doc.locate(parent),
            hint,
            kind="missing_key",
        )
    if kind == "model_type" and resolved.model is not None:
        is_step = resolved.model.__name__ == "ToolStep"
        return ValidationError(
            f"`{where}` must be a mapping ({'a step' if is_step else owner}), "
            f"got {_show(err['input'])}",
            doc.locate(path),
            hint=_STEP_HINT if is_step else "write it as `key: value` lines",
            kind="type",
        )
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        return ValidationError(
            f"`{where}` must be {expected}, got {_show(err['input'])}",
            doc.locate(path),
            hint=_type_hint(str(path[-1]) if path else "", expected),
            kind="type",
        )
    if kind == "literal_error":
        choices = err.get("ctx", {}).get("expected", "")
        return ValidationError(
            f"`{where}` must be one of {choices}, got {_show(err['input'])}",
            doc.locate(path),
            hint=f"use one of {choices}",
            kind="type",
        )
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return ValidationError(
            f"`{where}` {_bound_text(kind, err.get('ctx', {}))}, got {_show(err['input'])}",
            doc.locate(path),
            hint=_bound_hint(str(path[-1]) if path else ""),
            kind="type",
        )
    if kind == "too_short":
        least = int(err.get("ctx", {}).get("min_length", 1))
        return ValidationError(
            f"`{where}` must not be empty"
            if least <= 1
            else f"`{where}` must have at least {least} items, got {len(err['input'])}",
            doc.locate(path),
            hint="add at least one item" if least <= 1 else f"list at least {least}",
            kind="type",
        )
    if kind == "string_pattern_mismatch":
        return ValidationError(
            f"`{where}` must be a name of letters, digits and `_` not starting with a digit, "
            f"got {_show(err['input'])}",
            doc.locate(path),
            hint="rename it, e.g. `created_user`",
            kind="type",
        )
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        return ValidationError(f"`{where}`: {msg}", doc.locate(path), kind="type")
    return ValidationError(f"`{where}`: {err['msg']}", doc.locate(path), kind="type")


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(type(value))
    if isinstance(value, dict):
        kind = "a mapping"
    elif isinstance(value, list):
        kind = "a list"
    elif value is None:
        return "null"
    return f"{text} ({kind})" if kind else text


def _type_hint(key: str, expected: str) -> str:
    if key in ("timeout", "retry_delay", "startup_timeout") and expected == "a number":
        return f"use a number of seconds, e.g. `{key}: 30` (no quotes, no units)"
    if expected == "a whole number":
        return f"use a whole number without quotes, e.g. `{key}: 3`"
    if expected == "true or false":
        return f"write `{key}: true` or `{key}: false` (no quotes)"
    if expected == "a string":
        return "quote the value to make it a string"
    return f"write {expected} here"


def _bound_text(kind: str, ctx: dict[str, Any]) -> str:
    words = {
        "greater_than": "greater than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }[kind]
    bound = next(iter(ctx.values()), "")
    return f"must be {words} {bound}"


def _bound_hint(key: str) -> str:
    if key == "min_pass_rate":
        return "a pass rate is a fraction between 0 and 1, e.g. `min_pass_rate: 0.8`"
    return "use a value in the allowed range"


def _conflict_hint(key: str, model: type[BaseModel] | None) -> str | None:
    name = model.__name__ if model else ""
    if name == "ToolStep" and key in ("repeat", "steps", "as", "use", "with"):
        return "a step is exactly one of a tool call, a repeat block or a fragment use; split it"
    if name == "RepeatStep" and key in ("tool", "args", "save_as", "check", "expect"):
        return "a repeat block holds its tool calls under `steps:`; move this into a step there"
    if name == "McpStdioServer" and key in ("url", "headers"):
        return "a server is either stdio (`command`) or HTTP (`url`), not both"
    return None


def _keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _resolve(root: type[BaseModel], loc: Sequence[str | int]) -> _Resolved:
    """Strip pydantic's union tags and member labels from ``loc`` by walking the model types."""
    path: list[str | int] = []
    tp: Any = root
    model: type[BaseModel] | None = root
    i = 0
    while i < len(loc):
        part = loc[i]
        tp, tags = _unwrap(tp)
        if tags is not None:  # tagged union: this part is the tag
            tp = tags.get(str(part), tp)
            inner = _unwrap(tp)[0]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                model = inner
            i += 1
            continue
        options = _union_options(tp)
        if len(options) > 1:  # untagged union: this part names a member
            tp = next((o for o in options if _label_matches(o, part)), options[0])
            i += 1
            continue
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            model = tp
            field = _field(tp, str(part))
            path.append(part)
            tp = field.annotation if field is not None else Any
            if field is not None:
                tp = _with_metadata(field.annotation, field.metadata)
        elif origin is list:
            path.append(part)
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            path.append(part)
            tp = typing.get_args(tp)[1]
        else:
            path.append(part)
            tp = Any
        i += 1
    return _Resolved(path, model)


def _with_metadata(annotation: Any, metadata: list[Any]) -> Any:
    disc = [m for m in metadata if isinstance(m, Discriminator)]
    return typing.Annotated[annotation, disc[0]] if disc else annotation


def _field(model: type[BaseModel], key: str) -> Any:
    for name, f in model.model_fields.items():
        if key in (name, f.alias):
            return f
    return None


def _unwrap(tp: Any) -> tuple[Any, dict[str, Any] | None]:
    """Strip Annotated/Optional; for a tagged union return its tag → type map."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            inner, *meta = typing.get_args(tp)
            if any(isinstance(m, Discriminator) for m in meta):
                tags: dict[str, Any] = {}
                for opt in _union_options(inner):
                    tag = _tag_of(opt)
                    if tag is not None:
                        tags[tag] = opt
                return inner, tags
            tp = inner
            continue
        options = _union_options(tp)
        if len(options) == 1 and options[0] is not tp:
            tp = options[0]
            continue
        return tp, None


def _tag_of(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        for m in typing.get_args(tp)[1:]:
            if isinstance(m, Tag):
                return m.tag
    return None


def _union_options(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def _label_matches(tp: Any, label: str | int) -> bool:
    if not isinstance(label, str):
        return False
    base = tp
    while typing.get_origin(base) is typing.Annotated:
        base = typing.get_args(base)[0]
    origin = typing.get_origin(base)
    if origin is not None:
        return label.startswith(origin.__name__)
    name = getattr(base, "__name__", "")
    return bool(name) and label.endswith(name)
