"""``check`` and ``until`` of a step, evaluated against its result (docs/language.md §3, §5).

A condition holds when its value is truthy, as for ``and``/``or``/``not`` in the language. A
failed check is reported with the expression, the value of every name path it reads and its
spec location: ``check failed at spec.yaml:14:9: result.count == 10  (result.count = 9)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from llm_pytest.errors import ExpressionError
from llm_pytest.expr.parse import Expression
from llm_pytest.model.trace import CheckRecord

__all__ = ["run_checks", "until_error"]

Redact = Callable[[Any], Any]


def run_checks(
    checks: tuple[Expression, ...], scope: Mapping[str, Any], redact: Redact, *, keep_passed: bool
) -> tuple[list[CheckRecord], str | None]:
    """Evaluate every check: the records (passed ones only when ``keep_passed``) and the
    message of the first failure, or None when all passed."""
    records: list[CheckRecord] = []
    first: str | None = None
    for check in checks:
        try:
            passed, error = bool(check.evaluate(scope)), None
        except ExpressionError as exc:
            passed, error = False, exc.message
        if passed and not keep_passed:
            continue
        values = [(redact(k), redact(v)) for k, v in check.describe_values(scope)]
        location = str(check.location)
        records.append(CheckRecord(check.source, passed, location, values, redact(error)))
        if not passed and first is None:
            shown = ", ".join(f"{k} = {v}" for k, v in values)
            detail = f"  ({shown})" if shown else ""
            why = f": {redact(error)}" if error else ""
            first = f"check failed at {location}: {check.source}{detail}{why}"
    return records, first


def until_error(until: Expression, scope: Mapping[str, Any], attempts: int) -> str | None:
    """None when ``until`` holds after ``attempts`` attempts, else the step's error. An
    evaluation error counts as "not yet" and is described (a field that appears only when the
    system is ready is the usual case)."""
    try:
        if until.evaluate(scope):
            return None
        problem = ""
    except ExpressionError as exc:
        problem = f" (last evaluation: {exc.message})"
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    return f"`until: {until.source}` was still false after {tries}{problem}"
