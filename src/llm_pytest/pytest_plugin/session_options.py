"""The effective llm-pytest settings of a session: command line over ini, validated."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from llm_pytest._defaults import DEFAULT_UNCLEAR, UnclearPolicy
from llm_pytest.pytest_plugin.options import (
    DEFAULT_KEEP_RUNS,
    DEFAULT_PLUGIN_DIR,
    DEFAULT_SPEC_PATTERNS,
    JUDGE_SETTINGS,
    cache_mode,
    keep_runs,
    override_text,
    pass_rate,
    positive_float,
    positive_int,
    redact_pattern,
    unclear_policy,
)

__all__ = ["INI_OVERRIDES", "LlmOptions", "read_options"]

T = TypeVar("T")

INI_OVERRIDES = "ini llm_overrides"
"""The source of the ini file's overrides."""


@dataclass(frozen=True)
class LlmOptions:
    """The effective llm-pytest settings of a session (command line over ini)."""

    verbose: bool = False
    timeout: float | None = None
    iterations: int | None = None
    min_pass_rate: float | None = None
    overrides: tuple[tuple[str, str], ...] = ()
    """``(PATH=VALUE, source)`` pairs in the order they apply."""
    concurrency: int | None = None
    parallel: int = 1
    """Spec items whose runs may be in flight at once (``--llm-parallel``)."""
    provider: str = "auto"
    model: str | None = None
    report_dir: Path | None = None
    keep_runs: int = DEFAULT_KEEP_RUNS
    """Run folders kept in the cache (0: all)."""
    html: Path | None = None
    cache: str = "auto"
    unclear: UnclearPolicy = DEFAULT_UNCLEAR
    traceback: bool = False
    snapshot_update: bool = False
    """Rewrite changed step snapshots (``--llm-snapshot-update``)."""
    spec_patterns: tuple[str, ...] = DEFAULT_SPEC_PATTERNS
    plugin_dirs: tuple[Path, ...] = ()
    judge_settings: dict[str, Any] = field(default_factory=dict)
    redact: tuple[str, ...] = ()
    """Name patterns of secret variables beyond the defaults (ini ones, then the command line)."""
    deadline: float | None = None
    """``test.deadline`` of every spec that sets none (``--llm-deadline``)."""


def read_options(config: pytest.Config) -> LlmOptions:
    """Validate and merge the options; a bad ini value raises :class:`pytest.UsageError`."""
    invocation = config.invocation_params.dir
    ini_base = config.inipath.parent if config.inipath else config.rootpath

    def pick(name: str, parse: Callable[[str], T]) -> T | None:
        cli = config.getoption(f"llm_{name}")
        if cli is not None:
            return cli  # type: ignore[no-any-return]
        raw = str(config.getini(f"llm_{name}") or "").strip()
        if not raw:
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            raise pytest.UsageError(f"ini option llm_{name}: {exc}") from None

    def path_option(name: str) -> Path | None:
        cli = config.getoption(f"llm_{name}")
        if cli:
            return Path(invocation, cli)
        raw = str(config.getini(f"llm_{name}") or "").strip()
        return Path(ini_base, raw) if raw else None

    overrides = [(text, INI_OVERRIDES) for text in config.getini("llm_overrides")]
    for text, _ in overrides:
        try:
            override_text(text)
        except ValueError as exc:
            raise pytest.UsageError(f"ini option llm_overrides: {exc}") from None
    overrides += [(text, "--llm-override") for text in config.getoption("llm_override")]

    redact = list(config.getini("llm_redact"))
    for text in redact:
        try:
            redact_pattern(text)
        except ValueError as exc:
            raise pytest.UsageError(f"ini option llm_redact: {exc}") from None
    redact += config.getoption("llm_redact")

    plugin_dirs = [Path(p) for p in config.getini("llm_plugin_dirs")] or [
        config.rootpath / DEFAULT_PLUGIN_DIR
    ]
    judge_settings = {
        key: value
        for key in JUDGE_SETTINGS
        if (value := str(config.getini(f"llm_judge_{key}") or "").strip())
    }
    if "script" in judge_settings and not os.path.isabs(judge_settings["script"]):
        script = Path(ini_base, judge_settings["script"])
        if script.exists():
            judge_settings["script"] = str(script)
    votes = config.getoption("llm_judge_votes")
    if votes is not None:
        judge_settings["votes"] = votes
    if "template" in judge_settings:
        judge_settings["template"] = str(Path(ini_base, judge_settings["template"]))

    return LlmOptions(
        verbose=_flag(config, "verbose"),
        timeout=pick("timeout", positive_float),
        iterations=pick("iterations", positive_int),
        min_pass_rate=pick("min_pass_rate", pass_rate),
        overrides=tuple(overrides),
        concurrency=pick("concurrency", positive_int),
        parallel=pick("parallel", positive_int) or 1,
        provider=pick("provider", str) or "auto",
        model=pick("model", str),
        report_dir=path_option("report_dir"),
        keep_runs=_or(pick("keep_runs", keep_runs), DEFAULT_KEEP_RUNS),
        html=path_option("html"),
        cache=pick("cache", cache_mode) or "auto",
        unclear=pick("unclear", unclear_policy) or DEFAULT_UNCLEAR,
        traceback=_flag(config, "traceback"),
        snapshot_update=_flag(config, "snapshot_update"),
        spec_patterns=tuple(config.getini("llm_spec_patterns")) or DEFAULT_SPEC_PATTERNS,
        plugin_dirs=tuple(plugin_dirs),
        judge_settings=judge_settings,
        redact=tuple(redact),
        deadline=pick("deadline", positive_float),
    )


def _flag(config: pytest.Config, name: str) -> bool:
    cli = config.getoption(f"llm_{name}")
    return bool(cli) if cli is not None else bool(config.getini(f"llm_{name}"))


def _or(value: T | None, default: T) -> T:
    return default if value is None else value
