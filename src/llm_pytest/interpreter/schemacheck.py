"""A step's ``schema``, checked against its result after the call, like ``check``.

Every mismatch is one line naming the JSON path, the value (shortened) and the rule, the most
relevant first, up to :data:`SHOWN` of them and then how many more:
``$.users[2].email = "bob": 'bob' is not a 'email' (rule 'format')``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from llm_pytest.interpreter.stepping import compact
from llm_pytest.model.jsonsafe import json_safe
from llm_pytest.model.plan import SchemaPlan
from llm_pytest.model.trace import CheckRecord

__all__ = ["SHOWN", "check_schema"]

SHOWN = 5
"""Mismatches listed one per line; the rest are counted."""
VALUE_CHARS = 60
MESSAGE_CHARS = 160

Redact = Callable[[Any], Any]


def check_schema(plan: SchemaPlan, value: Any, redact: Redact) -> tuple[CheckRecord, str | None]:
    """The record of checking ``value`` against ``plan``'s schema, and the step's error (None
    when it matches)."""
    location = str(plan.location)
    try:
        # as JSON data: a plugin's tuple is an array, its dataclass an object
        errors = sorted(_validator(plan).iter_errors(json_safe(value)), key=_order)
    except Unresolvable as exc:  # loaded at compile time, so only a `$ref` to a missing anchor
        message = f"{plan.label} cannot be used: {exc}"
        return CheckRecord(plan.label, False, location, [], message, kind="schema"), message
    if not errors:
        return CheckRecord(plan.label, True, location, kind="schema"), None
    values = [_line(error, redact) for error in errors[:SHOWN]]
    more = len(errors) - SHOWN
    shown = [f"{path} = {text}" for path, text in values]
    if more > 0:
        shown.append(f"and {more} more")
    count = f"{len(errors)} mismatch{'es' if len(errors) > 1 else ''}"
    error = f"and {more} more" if more > 0 else None
    record = CheckRecord(plan.label, False, location, values, error, kind="schema")
    message = f"the result does not match its {plan.label} ({location}), {count}:\n" + "\n".join(
        f"  {line}" for line in shown
    )
    return record, message


def _order(error: ValidationError) -> tuple[list[tuple[int, int, str]], str]:
    path = [(1, p, "") if isinstance(p, int) else (0, 0, str(p)) for p in error.absolute_path]
    return path, str(error.validator)


def _line(error: ValidationError, redact: Redact) -> tuple[str, str]:
    value = compact(redact(error.instance), VALUE_CHARS)
    message = str(redact(error.message))
    if len(message) > MESSAGE_CHARS:
        message = message[: MESSAGE_CHARS - 3] + "..."
    return error.json_path, f"{value}: {message} (rule '{error.validator}')"


@functools.lru_cache(maxsize=256)
def _validator(plan: SchemaPlan) -> Draft202012Validator:
    """The validator of ``plan`` (plans compare by identity), built once."""
    return Draft202012Validator(
        plan.schema,
        registry=_registry(plan.resources),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _registry(resources: Mapping[str, Any]) -> Registry[Any]:
    """A registry of the documents the compiler loaded, and nothing else: every file a `$ref`
    reaches was read (and found) at compile time, so nothing is retrieved while running."""
    documents = [(uri, DRAFT202012.create_resource(c)) for uri, c in resources.items()]
    return Registry().with_resources(documents)
