"""The Python API: run a spec file from code and get a :class:`SpecResult`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from llm_pytest._defaults import PLUGIN_DIRS
from llm_pytest.dsl.compiler import compile_file
from llm_pytest.dsl.overrides import Override, parse_override
from llm_pytest.errors import UsageError
from llm_pytest.interpreter.runner import Log, RunSettings, run_plan
from llm_pytest.model.result import ItemResult, SpecResult
from llm_pytest.model.verdict import Judge
from llm_pytest.tools.registry import ToolRegistry

__all__ = [
    "arun_spec",
    "build_registry",
    "normalize_overrides",
    "run_spec",
    "setting_overrides",
    "spec_plugin_dirs",
]

DEFAULT_PLUGIN_DIRS = PLUGIN_DIRS


def build_registry(plugin_dirs: Iterable[str | os.PathLike[str]] = ()) -> ToolRegistry:
    """The built-in tools plus the plugins found in ``plugin_dirs`` (each folder once) and
    installed entry points."""
    from llm_pytest.tools.builtin import builtin_tools
    from llm_pytest.tools.plugins.loader import discover_plugins

    dirs = list(dict.fromkeys(Path(d).resolve() for d in plugin_dirs if Path(d).is_dir()))
    return ToolRegistry([*builtin_tools(), *discover_plugins(dirs)])


def spec_plugin_dirs(
    plugin_dirs: Iterable[str | os.PathLike[str]], spec_path: str | os.PathLike[str]
) -> tuple[Path, ...]:
    """The plugin folders of the spec at ``spec_path``: those of ``plugin_dirs`` that exist and
    its own ``plugins/`` folder, resolved, each once (a folder loaded twice would clash with
    itself)."""
    found: dict[Path, None] = {}
    for folder in (*map(Path, plugin_dirs), Path(spec_path).resolve().parent / "plugins"):
        if folder.is_dir():
            found.setdefault(folder.resolve())
    return tuple(found)


def setting_overrides(
    *,
    iterations: int | None = None,
    min_pass_rate: float | None = None,
    timeout: float | None = None,
    source: str,
) -> list[Override]:
    """Run-wide settings as overrides (LANGUAGE.md §6), applied after experiments."""
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


async def arun_spec(
    path: str | os.PathLike[str],
    *,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    iterations: int | None = None,
    concurrency: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 - the spec's default step timeout, not ours
    judge: Judge | None = None,
    plugin_dirs: Iterable[str | os.PathLike[str]] | None = None,
    registry: ToolRegistry | None = None,
    log: Log | None = None,
) -> SpecResult:
    """Compile and run every item of the spec file at ``path`` (skipped tests are left out).

    ``overrides`` (a mapping of dotted paths, or ``PATH=VALUE`` strings) win over everything
    else; ``iterations`` and ``timeout`` apply like ``--llm-iterations``/``--llm-timeout`` (a
    step's own ``timeout`` still wins). ``concurrency`` bounds the runs of one item in flight
    (default: all of them, up to 16). ``env`` is added to the process environment for the run.
    Without ``judge`` natural-language expectations are UNCLEAR. Plugins come from
    ``plugin_dirs`` (default: ``tests/llm/plugins`` and ``plugins/`` beside the spec) and the
    installed entry points, unless a ready ``registry`` is given. ``log`` receives the live
    lines of ``--llm-verbose``. Spec problems raise :class:`~llm_pytest.errors.SpecErrors`.
    """
    if concurrency is not None and (
        isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
    ):
        raise UsageError(f"concurrency must be a whole number ≥ 1, got {concurrency!r}")
    ovs = setting_overrides(iterations=iterations, timeout=timeout, source="the run_spec arguments")
    ovs += normalize_overrides(overrides, "the overrides= argument")
    plans = compile_file(path, ovs)
    if registry is None:
        if plugin_dirs is None:
            plugin_dirs = spec_plugin_dirs([Path.cwd() / d for d in DEFAULT_PLUGIN_DIRS], path)
        registry = build_registry(plugin_dirs)
    run_env = {**os.environ, **(env or {})}
    settings = RunSettings(registry, judge=judge, env=run_env, log=log, concurrency=concurrency)
    result = SpecResult()
    for plan in plans:
        if plan.skip:
            continue
        result.items.append(ItemResult(plan, await run_plan(plan, settings)))
    return result


def run_spec(
    path: str | os.PathLike[str],
    *,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    iterations: int | None = None,
    concurrency: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    judge: Judge | None = None,
    plugin_dirs: Iterable[str | os.PathLike[str]] | None = None,
    registry: ToolRegistry | None = None,
    log: Log | None = None,
) -> SpecResult:
    """Synchronous :func:`arun_spec` (runs its own event loop; inside one, await
    :func:`arun_spec` instead)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise UsageError(
            "run_spec() cannot run inside a running event loop; use `await arun_spec(...)`"
        )

    async def main() -> SpecResult:
        return await arun_spec(
            path,
            overrides=overrides,
            iterations=iterations,
            concurrency=concurrency,
            env=env,
            timeout=timeout,
            judge=judge,
            plugin_dirs=plugin_dirs,
            registry=registry,
            log=log,
        )

    return anyio.run(main)
