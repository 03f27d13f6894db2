"""`test.deadline`: setup and steps of one run share one budget; at its end the running step is
cancelled and the run fails naming it, and teardown still runs within its own timeouts."""

from __future__ import annotations

import time

import pytest

from llm_pytest.api import arun_spec
from tests.spec_support import WriteSpec


@pytest.mark.anyio
async def test_three_steps_of_one_and_a_half_seconds_fail_a_deadline_of_two_in_the_second(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: slow, timeout: 2, deadline: 2}
        steps:
          - {name: first, tool: sleep, args: {seconds: 1.5}}
          - {name: second, tool: sleep, args: {seconds: 1.5}}
          - {name: third, tool: sleep, args: {seconds: 1.5}}
        """
    )
    started = time.perf_counter()
    (trace,) = (await arun_spec(path)).runs
    took = time.perf_counter() - started
    assert trace.outcome == "FAIL"
    assert trace.reason == f'deadline of 2s exceeded during step "second" ({path}:4:5)'
    assert [(s.status, s.error or s.note) for s in trace.steps] == [
        ("passed", None),
        ("failed", trace.reason),
        ("not_run", "the deadline passed"),
    ]
    assert trace.failed_step == "steps[1]"
    assert 2 <= took < 3


@pytest.mark.anyio
async def test_teardown_runs_after_the_deadline_within_its_own_timeouts(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: slow, deadline: 0.3}
        steps:
          - {name: wait, tool: sleep, args: {seconds: 5}}
        teardown:
          - {name: tidy up, tool: sleep, args: {seconds: 0.4}}
          - {tool: store_value, args: {name: tidied, value: true}}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.reason == f'deadline of 0.3s exceeded during step "wait" ({path}:3:5)'
    teardown = [(s.label, s.status) for s in trace.steps if s.phase == "teardown"]
    assert teardown == [("tidy up", "passed"), ("store_value", "passed")]


@pytest.mark.anyio
async def test_a_deadline_passing_in_setup_leaves_the_steps_not_run(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: slow setup, deadline: 0.2}
        setup:
          - {name: warm up, tool: sleep, args: {seconds: 5}}
        steps:
          - {tool: store_value, args: {name: never, value: 1}}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.reason.startswith('deadline of 0.2s exceeded during step "warm up"')
    assert [(s.phase, s.status, s.note) for s in trace.steps] == [
        ("setup", "failed", None),
        ("steps", "not_run", "the deadline passed"),
    ]


@pytest.mark.anyio
async def test_a_deadline_passing_inside_a_repeat_names_the_step_that_ran(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: loop, deadline: 0.5}
        steps:
          - repeat: 10
            as: i
            steps:
              - {name: "nap ${i}", tool: sleep, args: {seconds: 0.2}}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.reason.startswith('deadline of 0.5s exceeded during step "nap ${i}"')
    assert trace.failed_step == "steps[0].steps[0]"
    block = trace.steps[0]
    assert (block.status, block.error) == ("failed", "the deadline passed while its steps ran")


@pytest.mark.anyio
async def test_each_run_has_a_deadline_of_its_own(write_spec: WriteSpec) -> None:
    path = write_spec(
        """
        test: {name: runs, deadline: 0.5, iterations: 3}
        steps:
          - {tool: sleep, args: {seconds: 0.3}}
        """
    )
    result = await arun_spec(path, concurrency=1)
    assert [t.outcome for t in result.runs] == ["PASS", "PASS", "PASS"]


@pytest.mark.anyio
async def test_the_override_path_test_deadline_sets_it(write_spec: WriteSpec) -> None:
    path = write_spec(
        """
        test: {name: overridden, deadline: 60}
        steps:
          - {name: nap, tool: sleep, args: {seconds: 1}}
        """
    )
    (trace,) = (await arun_spec(path, overrides=["test.deadline=0.2"])).runs
    assert trace.reason == f'deadline of 0.2s exceeded during step "nap" ({path}:3:5)'
