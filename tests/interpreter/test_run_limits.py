"""Limits that hold whatever a tool does: an async tool that blocks the event loop or ignores
its cancellation fails its step (and teardown still runs), and a tool that raises SystemExit
fails its step at the line that raised it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from llm_pytest.api import arun_spec
from tests.spec_support import LoadPlugins, WriteSpec

UNRULY = {
    "unruly.py": """
        import sys
        import time

        import anyio

        from llm_pytest import LLMPlugin

        class Unruly(LLMPlugin):
            name = "unruly"
            events = []
            started = None

            async def blocks(self) -> dict:
                time.sleep(2.5)
                return {"slept": True}

            async def swallows(self) -> dict:
                try:
                    while True:
                        try:
                            await anyio.sleep_forever()
                        except anyio.get_cancelled_exc_class():
                            pass
                finally:
                    Unruly.events.append("closed")

            async def exits(self) -> dict:
                sys.exit(3)

            def exits_blocking(self) -> dict:
                raise SystemExit("bye")

            async def tick(self) -> dict:
                if Unruly.started is not None:
                    Unruly.started.set()
                return {}

            def record(self, what: str) -> dict:
                Unruly.events.append(what)
                return {}
    """
}

SPEC = """
test: {{name: unruly}}
steps:
  - tool: unruly_{tool}
    timeout: {timeout}
  - tool: unruly_record
    args: {{what: never}}
teardown:
  - tool: unruly_record
    args: {{what: teardown}}
"""


async def _run(
    write_spec: WriteSpec, load_plugins: LoadPlugins, tool: str, step_timeout: float = 0.2
) -> tuple[Any, Any]:
    registry, plugins = load_plugins(UNRULY)
    path = write_spec(SPEC.format(tool=tool, timeout=step_timeout))
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "FAIL"
    assert [s.status for s in trace.steps] == ["failed", "not_run", "passed"]
    return trace.steps[0].error, plugins["unruly"]


@pytest.mark.anyio
async def test_an_async_tool_that_blocks_the_event_loop_past_its_deadline_fails_its_step(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    error, unruly = await _run(write_spec, load_plugins, "blocks")
    assert error.startswith("blocked the event loop past its 0.2s deadline: it ran ")
    assert "anyio.to_thread.run_sync" in error
    assert unruly.events == ["teardown"]


@pytest.mark.anyio
async def test_an_async_tool_that_swallows_its_cancellation_is_abandoned_and_fails_its_step(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    error, unruly = await _run(write_spec, load_plugins, "swallows")
    assert error.startswith("timed out after 0.2s and went on for 1s more after it was cancelled")
    assert "let CancelledError propagate" in error
    assert unruly.events == ["closed", "teardown"]


@pytest.mark.anyio
@pytest.mark.parametrize("tool", ["exits", "exits_blocking"])
async def test_a_tool_raising_system_exit_fails_its_step_at_the_plugin_line(
    write_spec: WriteSpec, load_plugins: LoadPlugins, tmp_path: Path, tool: str
) -> None:
    error, unruly = await _run(write_spec, load_plugins, tool, step_timeout=30)
    code, statement = ("3", "sys.exit(3)") if tool == "exits" else ("'bye'", "raise SystemExit")
    source = textwrap.dedent(UNRULY["unruly.py"]).lstrip().splitlines()
    line = next(n for n, text in enumerate(source, 1) if statement in text)
    where = f"{tmp_path / 'plugins' / 'unruly.py'}:{line}"
    assert error.startswith(f"the tool raised SystemExit({code}) at {where} (a tool cannot")
    assert unruly.events == ["teardown"]


@pytest.mark.anyio
async def test_a_check_with_a_catastrophic_regex_fails_at_once_and_teardown_runs(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, plugins = load_plugins(UNRULY)
    path = write_spec(
        f"""
        test: {{name: regex}}
        steps:
          - tool: store_value
            args: {{name: text, value: "{"a" * 35}!"}}
            check: ['result.value matches "^(a+)+$"']
            timeout: 2
        teardown:
          - tool: unruly_record
            args: {{what: teardown}}
        """
    )
    with anyio.fail_after(30):
        (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "FAIL"
    assert "refused regular expression" in (trace.steps[0].error or "")
    assert f"{path.name}:5" in (trace.steps[0].error or ""), trace.steps[0].error
    assert plugins["unruly"].events == ["teardown"]


REPEAT = """
test: {{name: repeat}}
steps:
  - repeat: {count}
    steps:
      - tool: unruly_tick
teardown:
  - tool: unruly_record
    args: {{what: teardown}}
"""


@pytest.mark.anyio
async def test_a_long_repeat_of_steps_that_never_wait_stops_when_the_run_is_cancelled(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, plugins = load_plugins(UNRULY)
    unruly: Any = plugins["unruly"]
    unruly.started = anyio.Event()
    path = write_spec(REPEAT.format(count=900_000))
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: arun_spec(path, registry=registry))
            await unruly.started.wait()
            tg.cancel_scope.cancel()
    assert unruly.events == ["teardown"]


@pytest.mark.anyio
async def test_a_repeat_over_the_limit_fails_before_its_first_iteration(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, plugins = load_plugins(UNRULY)
    path = write_spec(REPEAT.format(count=1_000_000_000))
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "FAIL"
    assert trace.reason == (
        f"step `repeat 1000000000` (steps[0]) at {path}:3:5 failed: `repeat` gives "
        "1,000,000,000 iterations, more than the 1,000,000 a block may run"
    )
    assert [s.status for s in trace.steps] == ["failed", "passed"]
    assert plugins["unruly"].events == ["teardown"]
