"""The Python API: run a spec file from code and get a :class:`SpecResult`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from llm_pytest._defaults import DEFAULT_UNCLEAR, UNCLEAR_POLICIES, UnclearPolicy
from llm_pytest.dsl.compiler import compile_file
from llm_pytest.errors import SpecErrors, UsageError
from llm_pytest.interpreter.runner import Log, run_plan
from llm_pytest.model.result import ItemResult, SpecResult
from llm_pytest.model.verdict import Judge
from llm_pytest.runtime.settings import normalize_overrides, run_settings, setting_overrides
from llm_pytest.runtime.tools import (
    PluginDirs,
    build_registry,
    missing_tools,
    project_plugin_dirs,
)
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["arun_spec", "run_spec"]


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
    unclear: UnclearPolicy = DEFAULT_UNCLEAR,
    snapshot_update: bool = False,
) -> SpecResult:
    """Compile and run every item of the spec file at ``path`` (skipped tests are left out).

    ``overrides`` (a mapping of dotted paths, or ``PATH=VALUE`` strings) win over everything
    else; ``iterations`` and ``timeout`` apply like ``--llm-iterations``/``--llm-timeout`` (a
    step's own ``timeout`` still wins). ``concurrency`` bounds the runs of one item in flight
    (default: all of them, up to 16). ``env`` is added to the process environment for the run.
    Without ``judge`` natural-language expectations are UNCLEAR. Plugins come from
    ``plugin_dirs`` (default: those ``pytest --llm`` uses for the spec, from the configuration
    of its project: ``llm_plugin_dirs`` or ``tests/llm/plugins``, and ``plugins/`` beside it)
    and the
    installed entry points, unless a ready ``registry`` is given. ``log`` receives the live
    lines of ``--llm-verbose``. ``unclear`` decides what UNCLEAR runs do to each item's
    ``outcome``, as ``--llm-unclear`` does in pytest. ``snapshot_update`` rewrites the step
    snapshots that changed, as ``--llm-snapshot-update`` does. Spec problems, a step calling a
    tool no plugin offers among them, raise :class:`~llm_pytest.errors.SpecErrors`.
    """
    if unclear not in UNCLEAR_POLICIES:
        raise UsageError(f"unclear must be one of {', '.join(UNCLEAR_POLICIES)}, got {unclear!r}")
    if concurrency is not None and (
        isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
    ):
        raise UsageError(f"concurrency must be a whole number ≥ 1, got {concurrency!r}")
    ovs = setting_overrides(iterations=iterations, timeout=timeout, source="the run_spec arguments")
    ovs += normalize_overrides(overrides, "the overrides= argument")
    plans = compile_file(path, ovs)
    if plugin_dirs is None:
        dirs = PluginDirs.of_spec(project_plugin_dirs(path), path)
    else:
        dirs = PluginDirs(tuple(Path(d) for d in plugin_dirs))
    if registry is None:
        registry = build_registry(dirs.found)
    missing = missing_tools(plans, registry, dirs)
    if missing:
        raise SpecErrors(missing)
    settings = run_settings(
        registry,
        judge=judge,
        env=env,
        log=log,
        concurrency=concurrency,
        snapshot_update=snapshot_update,
    )
    result = SpecResult()
    for plan in plans:
        if plan.skip:
            continue
        result.items.append(ItemResult(plan, await run_plan(plan, settings), unclear))
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
    unclear: UnclearPolicy = DEFAULT_UNCLEAR,
    snapshot_update: bool = False,
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
            unclear=unclear,
            snapshot_update=snapshot_update,
        )

    return anyio.run(main)
