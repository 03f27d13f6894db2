"""Per-step deadlines: async tools are cancelled, blocking ones abandoned, commands killed with
their children; teardown and plugin cleanup run after timeouts and after outside cancellation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from llm_pytest.api import arun_spec
from llm_pytest.tools.calls import ABANDONED_NOTE
from llm_pytest.tools.registry import Tool, ToolContext
from tests.process_support import FAMILY, assert_family_killed
from tests.spec_support import LoadPlugins, WriteSpec

HANG = {
    "hang.py": """
        import threading

        import anyio

        from llm_pytest import LLMPlugin

        class Hang(LLMPlugin):
            name = "hang"
            events = []
            gate = threading.Event()
            finished = threading.Event()
            started = None
            calls = 0

            async def forever(self) -> dict:
                if Hang.started is not None:
                    Hang.started.set()
                try:
                    await anyio.sleep_forever()
                except anyio.get_cancelled_exc_class():
                    Hang.events.append("cancelled")
                    raise
                return {}

            async def first_call_hangs(self) -> dict:
                Hang.calls += 1
                if Hang.calls == 1:
                    await anyio.sleep_forever()
                return {"call": Hang.calls}

            def blocking(self) -> dict:
                Hang.events.append("blocking started")
                released = Hang.gate.wait(30)
                Hang.events.append(f"blocking returned, released={released}")
                Hang.finished.set()
                return {}

            async def own_timeout_error(self) -> dict:
                raise TimeoutError("the backend said it was too slow")

            def record(self, what: str) -> dict:
                Hang.events.append(what)
                return {"recorded": what}

            async def cleanup(self) -> None:
                Hang.events.append("cleanup")
    """
}

HANGING_STEP = """
test: {{name: deadline}}
steps:
  - tool: {tool}
    timeout: 0.5
  - tool: hang_record
    args: {{what: never}}
teardown:
  - tool: hang_record
    args: {{what: teardown}}
"""


@pytest.mark.anyio
async def test_an_async_tool_is_cancelled_at_its_deadline_and_teardown_and_cleanup_run(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, plugins = load_plugins(HANG)
    hang: Any = plugins["hang"]
    path = write_spec(HANGING_STEP.format(tool="hang_forever"))
    (trace,) = (await arun_spec(path, registry=registry)).runs
    (attempt,) = trace.steps[0].attempts
    assert trace.outcome == "FAIL"
    assert attempt.error == "timed out after 0.5s"
    assert 500 <= attempt.duration_ms < 30_000  # ended at its deadline, not the tool's end
    assert trace.steps[0].note is None
    assert [s.status for s in trace.steps] == ["failed", "not_run", "passed"]
    assert hang.events == ["cancelled", "teardown", "cleanup"]


@pytest.mark.anyio
async def test_a_blocking_tool_fails_at_its_deadline_and_its_thread_is_abandoned(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, plugins = load_plugins(HANG)
    hang: Any = plugins["hang"]
    path = write_spec(HANGING_STEP.format(tool="hang_blocking"))
    try:
        (trace,) = (await arun_spec(path, registry=registry)).runs
        (attempt,) = trace.steps[0].attempts
        assert attempt.error == "timed out after 0.5s"
        assert 500 <= attempt.duration_ms < 30_000  # ended at its deadline, not the tool's end
        assert trace.steps[0].note == ABANDONED_NOTE
        assert [s.status for s in trace.steps] == ["failed", "not_run", "passed"]
        assert hang.events == ["blocking started", "teardown", "cleanup"]
    finally:
        hang.gate.set()
    with anyio.fail_after(10):
        await anyio.to_thread.run_sync(hang.finished.wait)
    assert hang.events[-1] == "blocking returned, released=True"


@pytest.mark.anyio
async def test_a_timed_out_attempt_is_retried(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(HANG)
    path = write_spec(
        """
        test: {name: retry after timeout}
        steps:
          - tool: hang_first_call_hangs
            timeout: 0.2
            retry: 1
            retry_delay: 0
            check: [result.call == 2]
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "PASS", trace.reason
    assert [(a.ok, a.error) for a in trace.steps[0].attempts] == [
        (False, "timed out after 0.2s"),
        (True, None),
    ]


@pytest.mark.anyio
async def test_a_tool_raising_timeout_error_itself_is_not_mistaken_for_the_deadline(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(HANG)
    path = write_spec("test: {name: own error}\nsteps:\n  - tool: hang_own_timeout_error\n")
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.steps[0].error == (
        "TimeoutError: the backend said it was too slow "
        f"(at {path.parent / 'plugins' / 'hang.py'}:39 in own_timeout_error)"
    )


@pytest.mark.anyio
async def test_teardown_and_cleanup_run_when_the_run_is_cancelled_from_outside(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, plugins = load_plugins(HANG)
    hang: Any = plugins["hang"]
    hang.started = anyio.Event()
    path = write_spec(
        """
        test: {name: cancelled}
        steps:
          - tool: hang_forever
        teardown:
          - tool: hang_record
            args: {what: teardown}
        """
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: arun_spec(path, registry=registry))
        with anyio.fail_after(10):
            await hang.started.wait()
        tg.cancel_scope.cancel()
    assert hang.events == ["cancelled", "teardown", "cleanup"]


@pytest.mark.anyio
@pytest.mark.usefixtures("subreaper")
async def test_a_command_that_spawns_children_leaves_no_process_behind_after_its_timeout(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    path = write_spec(
        f"""
        test: {{name: family}}
        steps:
          - tool: run_command
            args: {{argv: [sh, -c, "{FAMILY}"], cwd: "{tmp_path}"}}
            timeout: 0.5
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    # The command's own deadline comes just before the step's, so its output is reported.
    assert trace.steps[0].error is not None
    assert trace.steps[0].error.startswith("command timed out after 0.5s: sh -c ")
    assert "stdout:\nstarted\n" in trace.steps[0].error
    await assert_family_killed(tmp_path)


async def _report_timeout(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"timeout": ctx.timeout}


REPORT_TIMEOUT = Tool(
    "report_timeout",
    "Returns the deadline the runner gave this call.",
    {"type": "object", "properties": {}, "additionalProperties": False},
    _report_timeout,
)

LIMITS = """
test: {{name: limits{test_timeout}}}
experiments:
  - name: slow
    overrides: {{test.timeout: 30}}
steps:
  - tool: report_timeout
    timeout: 2
  - tool: report_timeout
"""


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("test_timeout", "api", "expected"),
    [
        ("", {}, 30),
        (", timeout: 7", {}, 30),
        ("", {"timeout": 9}, 9),
        ("", {"timeout": 9, "overrides": {"test.timeout": 11}}, 11),
    ],
    ids=["experiment", "experiment-over-spec", "api-timeout", "api-override"],
)
async def test_the_step_timeout_wins_then_the_test_timeout_with_its_overrides(
    write_spec: WriteSpec,
    load_plugins: LoadPlugins,
    test_timeout: str,
    api: dict[str, Any],
    expected: float,
) -> None:
    registry, _ = load_plugins({}, REPORT_TIMEOUT)
    path = write_spec(LIMITS.format(test_timeout=test_timeout))
    (trace,) = (await arun_spec(path, registry=registry, **api)).runs
    assert [s.result for s in trace.steps] == [{"timeout": 2}, {"timeout": expected}]


@pytest.mark.anyio
async def test_without_any_timeout_a_step_gets_120_seconds(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins({}, REPORT_TIMEOUT)
    path = write_spec("test: {name: default}\nsteps:\n  - tool: report_timeout\n")
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.steps[0].result == {"timeout": 120}


@pytest.mark.anyio
async def test_a_spec_test_timeout_applies_to_steps_without_their_own(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins({}, REPORT_TIMEOUT)
    path = write_spec("test: {name: t, timeout: 7}\nsteps:\n  - tool: report_timeout\n")
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.steps[0].result == {"timeout": 7}
