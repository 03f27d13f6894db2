"""Command-line options and ini keys of ``pytest --llm`` and the parsers of their values.

Every ``--llm-*`` setting except ``--llm`` itself and ``--llm-shard`` (a per-job choice) has
an ini key (``--llm-min-pass-rate`` is ``llm_min_pass_rate``); the command line wins over the
ini file (see
:mod:`~llm_pytest.pytest_plugin.session_options`). Bad values are usage errors that name the
option. This module is imported on every pytest run, so it imports and builds nothing heavy.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from llm_pytest._defaults import (
    PLUGIN_DIR,
    SNAPSHOT_DIR,
    SPEC_PATTERNS,
    UNCLEAR_POLICIES,
    UnclearPolicy,
)
from llm_pytest.judging.registry import providers, setting_help

__all__ = [
    "CACHE_MODES",
    "DEFAULT_KEEP_RUNS",
    "DEFAULT_PLUGIN_DIR",
    "DEFAULT_SPEC_PATTERNS",
    "JUDGE_SETTINGS",
    "add_options",
    "cache_mode",
    "is_spec_file",
    "keep_runs",
    "override_text",
    "pass_rate",
    "positive_float",
    "positive_int",
    "redact_pattern",
    "shard",
    "unclear_policy",
]

T = TypeVar("T")

DEFAULT_SPEC_PATTERNS = SPEC_PATTERNS
DEFAULT_PLUGIN_DIR = PLUGIN_DIR
CACHE_MODES = ("auto", "on", "off")
DEFAULT_KEEP_RUNS = 20

JUDGE_SETTINGS = setting_help()
"""Judge settings, as the judge and its providers declare them: each is the ini key
``llm_judge_<name>`` and reaches the judge as ``<name>``."""


# -- value parsers (shared by the command line and the ini file) -------------------------------


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise ValueError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number of seconds > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"expected a number of seconds > 0, got {text!r}")
    return value


def pass_rate(text: str) -> float:
    """``0.8`` or ``80%``."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        raise ValueError(f"expected a rate between 0 and 1 or a percentage, got {text!r}") from None
    if percent:
        value /= 100
    if not 0 <= value <= 1:
        hint = " (write 80% or 0.8 for eighty percent)" if not percent and value <= 100 else ""
        raise ValueError(f"expected a rate between 0 and 1, got {text!r}{hint}")
    return value


def override_text(text: str) -> str:
    path, sep, _ = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"expected PATH=VALUE (e.g. vars.limit=5), got {text!r}")
    return text


def keep_runs(text: str) -> int:
    """How many run folders to keep: a whole number, 0 for all."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"expected a whole number ≥ 0 (0 keeps every run), got {text!r}")
    return value


def cache_mode(text: str) -> str:
    mode = text.strip().lower()
    if mode not in CACHE_MODES:
        raise ValueError(f"expected one of {', '.join(CACHE_MODES)}, got {text!r}")
    return mode


def unclear_policy(text: str) -> UnclearPolicy:
    wanted = text.strip().lower()
    for policy in UNCLEAR_POLICIES:
        if wanted == policy:
            return policy
    raise ValueError(f"expected one of {', '.join(UNCLEAR_POLICIES)}, got {text!r}")


def shard(text: str) -> tuple[int, int]:
    """``I/N``: shard I (1-based) of N."""
    index, sep, count = text.strip().partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise ValueError(f"expected I/N with 1 <= I <= N (e.g. 2/3), got {text!r}")
    return i, n


def redact_pattern(text: str) -> str:
    """A regular expression of secret variable names."""
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a regular expression: {exc}") from None
    return text


def _cli(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as an argparse type: its message becomes the usage error."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


# -- registration ------------------------------------------------------------------------------


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--llm*`` options and the ``llm_*`` ini keys."""
    group = parser.getgroup("llm-pytest", "llm-pytest (YAML specs run by an interpreter)")
    group.addoption(
        "--llm", action="store_true", default=False, help="collect and run llm-pytest spec files"
    )
    flag = {"action": "store_true", "default": None}
    group.addoption(
        "--llm-verbose",
        **flag,
        help="show each tool call, result and interpolation live (ini llm_verbose)",
    )
    group.addoption(
        "--llm-timeout",
        type=_cli(positive_float),
        metavar="SECONDS",
        help="default step timeout of every spec; a step's own timeout still wins",
    )
    group.addoption(
        "--llm-deadline",
        type=_cli(positive_float),
        metavar="SECONDS",
        help="deadline of setup and steps of each run, for specs that set no test.deadline",
    )
    group.addoption(
        "--llm-iterations",
        type=_cli(positive_int),
        metavar="N",
        help="runs per item; the pass rate is measured over them",
    )
    group.addoption(
        "--llm-min-pass-rate",
        type=_cli(pass_rate),
        metavar="RATE",
        help="pass rate an item needs, 0..1 or a percentage (e.g. 0.8 or 80%%)",
    )
    group.addoption(
        "--llm-override",
        action="append",
        type=_cli(override_text),
        default=[],
        metavar="PATH=VALUE",
        help="override a value of every spec, e.g. vars.limit=5 (repeatable)",
    )
    group.addoption(
        "--llm-concurrency",
        type=_cli(positive_int),
        metavar="N",
        help="runs of one item that may execute at once, and with --llm-parallel judge calls "
        "in flight across the session (default: up to 16)",
    )
    group.addoption(
        "--llm-parallel",
        type=_cli(positive_int),
        metavar="N",
        help="spec items whose runs may be in flight at once: later items start ahead of their "
        "turn, reported in order (default 1; items using function-scoped fixtures or marked "
        "llm_serial wait)",
    )
    group.addoption(
        "--llm-provider",
        metavar="NAME",
        help="judge provider: auto (default), " + ", ".join(p.name for p in providers()),
    )
    group.addoption("--llm-model", metavar="MODEL", help="judge model (wins over a spec's own)")
    group.addoption(
        "--llm-judge-votes",
        type=_cli(positive_int),
        metavar="K",
        help="ask the judge K times per run and take the majority; a split vote is UNCLEAR "
        "(a spec's judge.votes or judge.panel wins; ini llm_judge_votes)",
    )
    group.addoption(
        "--llm-report-dir",
        metavar="DIR",
        help="where trace_summary.jsonl, per_trace.jsonl and items.jsonl go (default a new "
        ".pytest_cache/d/llm-pytest/runs/<timestamp>/, with runs/latest pointing at it)",
    )
    group.addoption(
        "--llm-keep-runs",
        type=_cli(keep_runs),
        metavar="N",
        help=f"run folders kept in the cache; older ones are deleted at the end of the session "
        f"(default {DEFAULT_KEEP_RUNS}; 0 keeps all)",
    )
    group.addoption("--llm-html", metavar="PATH", help="write a self-contained HTML report")
    group.addoption(
        "--llm-cache",
        type=_cli(cache_mode),
        metavar="MODE",
        help="reuse judge verdicts for identical requests: auto (default: only for 1 iteration), "
        "on, off",
    )
    group.addoption(
        "--llm-unclear",
        type=_cli(unclear_policy),
        metavar="POLICY",
        help="UNCLEAR runs: skip (default: skip an item no judge could judge, fail one whose "
        "judge failed) or fail (any UNCLEAR run fails its item)",
    )
    group.addoption(
        "--llm-redact",
        action="append",
        type=_cli(redact_pattern),
        default=[],
        metavar="REGEX",
        help="also redact the values of environment variables whose names match REGEX "
        "(case-insensitive; repeatable)",
    )
    group.addoption(
        "--llm-shard",
        type=_cli(shard),
        metavar="I/N",
        help="run only shard I of N: the items sorted by node id, every Nth from the Ith "
        "(the others are deselected); the same on every machine",
    )
    group.addoption(
        "--llm-snapshot-update",
        **flag,
        help="rewrite the step snapshots (__snapshots__/*.yaml) whose results changed, and "
        "write missing ones also in CI",
    )
    group.addoption(
        "--llm-traceback",
        **flag,
        help="show llm-pytest's own Python frames in failures (for debugging llm-pytest)",
    )

    parser.addini(
        "llm_spec_patterns",
        "glob patterns of spec file names to collect with --llm",
        type="args",
        default=list(DEFAULT_SPEC_PATTERNS),
    )
    parser.addini(
        "llm_plugin_dirs",
        f"directories of LLMPlugin files (default {DEFAULT_PLUGIN_DIR})",
        type="paths",
        default=[],
    )
    parser.addini("llm_verbose", "like --llm-verbose", type="bool", default=False)
    parser.addini("llm_traceback", "like --llm-traceback", type="bool", default=False)
    parser.addini("llm_snapshot_update", "like --llm-snapshot-update", type="bool", default=False)
    for name in (
        "timeout",
        "iterations",
        "min_pass_rate",
        "concurrency",
        "parallel",
        "provider",
        "model",
        "report_dir",
        "html",
        "cache",
        "unclear",
        "keep_runs",
        "deadline",
    ):
        parser.addini(f"llm_{name}", f"like --llm-{name.replace('_', '-')}", default="")
    parser.addini("llm_overrides", "PATH=VALUE overrides, one a line", type="linelist", default=[])
    parser.addini(
        "llm_redact", "like --llm-redact: name patterns, one a line", type="linelist", default=[]
    )
    for key, help_text in JUDGE_SETTINGS.items():
        parser.addini(f"llm_judge_{key}", help_text, default="")


def is_spec_file(path: Path, config: pytest.Config) -> bool:
    """Whether ``path``'s name matches ini ``llm_spec_patterns`` (outside ``__snapshots__``)."""
    if path.parent.name == SNAPSHOT_DIR:
        return False
    patterns = config.getini("llm_spec_patterns") or DEFAULT_SPEC_PATTERNS
    return any(fnmatch.fnmatch(path.name, p) for p in patterns)
