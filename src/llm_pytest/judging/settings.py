"""Judge settings: the ones every judge reads, and reading them. Values come from ini files as
strings, or typed from pyproject/Python; a value of the wrong kind is a
:class:`~llm_pytest.errors.UsageError` naming the setting. Each provider declares its own
settings in its registration (:mod:`~llm_pytest.judging.registry`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_pytest.errors import UsageError

__all__ = ["JUDGE_SETTINGS", "Settings", "float_setting", "int_setting", "str_setting"]

Settings = Mapping[str, Any]

JUDGE_SETTINGS = {
    "template": "a Jinja2 template for the judge prompt instead of the packaged one",
    "timeout": "seconds one judge call may take",
    "max_retries": "retries of a judge call after 429/5xx answers",
    "max_result_chars": "characters of each step result the judge sees",
    "prices": "price table overrides: MODEL=INPUT_USD_PER_MTOK/OUTPUT_USD_PER_MTOK lines",
    "votes": "ask the judge this many times per run and take the majority (a spec's "
    "judge.votes wins)",
}
"""The settings of the judge itself, whichever provider it asks, with what each does."""


def str_setting(settings: Settings, key: str) -> str | None:
    """The setting as text; None when absent or empty."""
    value = settings.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def float_setting(settings: Settings, key: str, default: float, *, minimum: float = 0.0) -> float:
    text = str_setting(settings, key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"judge setting `{key}` must be a number, not {text!r}") from None
    if value < minimum:
        raise UsageError(f"judge setting `{key}` must be at least {minimum:g}, not {value:g}")
    return value


def int_setting(settings: Settings, key: str, default: int, *, minimum: int = 0) -> int:
    text = str_setting(settings, key)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"judge setting `{key}` must be a whole number, not {text!r}") from None
    if value < minimum:
        raise UsageError(f"judge setting `{key}` must be at least {minimum}, not {value}")
    return value
