"""Run-wide settings as every entry point builds them: overrides, the judge, ``RunSettings``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llm_pytest.agent.modes import run_by_mode
from llm_pytest.dsl.overrides import Override, parse_override
from llm_pytest.errors import UsageError
from llm_pytest.expr.scope import FixtureValues
from llm_pytest.interpreter.runner import Log, RunSettings
from llm_pytest.judging.registry import no_judge_reason
from llm_pytest.model.verdict import Judge, OfflineJudge
from llm_pytest.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from llm_pytest.judging.cache import JudgeCache

__all__ = ["make_judge", "normalize_overrides", "run_settings", "setting_overrides"]


def setting_overrides(
    *,
    iterations: int | None = None,
    min_pass_rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    source: str,
) -> list[Override]:
    """Run-wide settings as overrides (docs/language.md §6), applied after experiments; ``deadline``
    only applies to specs (and experiments) that set no ``test.deadline``."""
    out: list[Override] = []
    if iterations is not None:
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
            raise UsageError(f"iterations must be a whole number ≥ 1, got {iterations!r}")
        out.append(Override("test.iterations", iterations, source))
    if min_pass_rate is not None:
        if not 0 <= min_pass_rate <= 1:
            raise UsageError(f"min_pass_rate must be between 0 and 1, got {min_pass_rate!r}")
        out.append(Override("test.min_pass_rate", float(min_pass_rate), source))
    if timeout is not None:
        if timeout <= 0:
            raise UsageError(f"timeout must be a positive number of seconds, got {timeout!r}")
        out.append(Override("test.timeout", float(timeout), source))
    if deadline is not None:
        if deadline <= 0:
            raise UsageError(f"deadline must be a positive number of seconds, got {deadline!r}")
        out.append(Override("test.deadline", float(deadline), source, unless_set=True))
    return out


def normalize_overrides(
    overrides: Mapping[str, Any] | Sequence[str] | None, source: str
) -> list[Override]:
    """``{"vars.limit": 5}`` or ``["vars.limit=5"]`` as overrides from ``source``."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [Override(str(k), v, source) for k, v in overrides.items()]
    return [parse_override(text, source) for text in overrides]


def make_judge(
    provider: str = "auto",
    *,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    cache: JudgeCache | None = None,
    cache_mode: str = "auto",
) -> tuple[Judge, str]:
    """The judge named ``provider`` and the line saying which it is and why (see
    :func:`llm_pytest.judging.judge.make_judge`)."""
    from llm_pytest.judging.judge import make_judge as build  # providers load only when judging

    return build(provider, model=model, settings=settings, cache=cache, cache_mode=cache_mode)


def run_settings(
    registry: ToolRegistry,
    *,
    judge: Judge | None = None,
    env: Mapping[str, str] | None = None,
    log: Log | None = None,
    concurrency: int | None = None,
    redact_names: Sequence[str] = (),
    fixtures: FixtureValues | None = None,
    snapshot_update: bool = False,
) -> RunSettings:
    """What every run shares; ``env`` is added to the process environment. Without a judge,
    runs that need one are UNCLEAR, saying how to configure one. ``mode: agent`` plans run by
    an agent. ``redact_names`` are patterns of secret variable names beyond the defaults;
    ``fixtures`` the values of the pytest fixtures the item requested (``fixtures.NAME``);
    ``snapshot_update`` rewrites changed snapshots. The judge's provider also answers the
    sampling requests of MCP servers declared with ``sampling: judge``."""
    from llm_pytest.judging.sampling import JudgeSampler

    return RunSettings(
        registry,
        judge=judge or OfflineJudge(no_judge_reason()),
        sampler=JudgeSampler(judge),
        env={**os.environ, **(env or {})},
        log=log,
        concurrency=concurrency,
        execute=run_by_mode,
        redact_names=redact_names,
        fixtures=fixtures,
        snapshot_update=snapshot_update,
    )
