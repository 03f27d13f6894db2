"""Step semantics of a run (docs/language.md §3–6): retry, until, repeat, when, continue_on_error,
setup and teardown, checks and runtime name errors — through real specs and real plugins."""

from __future__ import annotations

import pytest

from llm_pytest.api import arun_spec
from llm_pytest.dsl.compiler import compile_file
from llm_pytest.interpreter.runner import RunSettings, run_plan
from llm_pytest.model.trace import RunTrace, StepRecord
from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.registry import ToolRegistry
from tests.spec_support import LoadPlugins, WriteSpec

COUNTER = {
    "counter.py": """
        from llm_pytest import LLMPlugin
        import time

        class Counter(LLMPlugin):
            name = "counter"

            def __init__(self):
                super().__init__()
                self.n = 0

            async def bump(self) -> dict:
                self.n += 1
                return {"count": self.n, "at": time.monotonic()}

            async def fail_below(self, succeed_at: int) -> dict:
                self.n += 1
                if self.n < succeed_at:
                    raise RuntimeError(f"not yet ({self.n})")
                return {"count": self.n}
    """
}


def step(trace: RunTrace, step_id: str) -> StepRecord:
    return next(s for s in trace.steps if s.id == step_id)


@pytest.mark.anyio
async def test_until_retries_while_false_and_the_step_keeps_the_final_result(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(COUNTER)
    path = write_spec(
        """
        test: {name: poll}
        steps:
          - tool: counter_bump
            save_as: ready
            retry: 5
            retry_delay: 0
            until: result.count >= 3
          - tool: store_value
            args: {name: seen, value: "${ready.count}"}
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    polled = step(trace, "steps[0]")
    assert trace.outcome == "PASS"
    assert [a.ok for a in polled.attempts] == [False, False, True]
    assert polled.attempts[0].error == "`until: result.count >= 3` was still false after 1 attempt"
    assert polled.result["count"] == 3
    assert step(trace, "steps[1]").result == {"stored": "seen", "value": 3}


@pytest.mark.anyio
async def test_until_still_false_after_the_retry_budget_fails_with_the_last_result(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(COUNTER)
    path = write_spec(
        """
        test: {name: poll}
        steps:
          - tool: counter_bump
            retry: 2
            retry_delay: 0
            until: result.count >= 10
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    polled = step(trace, "steps[0]")
    assert trace.outcome == "FAIL"
    assert len(polled.attempts) == 3
    assert polled.error == "`until: result.count >= 10` was still false after 3 attempts"
    assert polled.result["count"] == 3  # the judge and the report see the final result
    assert trace.reason.endswith("failed: " + polled.error)


@pytest.mark.anyio
async def test_retry_gives_extra_attempts_after_a_failure_with_the_delay_between(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(COUNTER)
    path = write_spec(
        """
        test: {name: retry}
        steps:
          - tool: counter_fail_below
            args: {succeed_at: 3}
            retry: 2
            retry_delay: 0.05
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    record = step(trace, "steps[0]")
    assert trace.outcome == "PASS"
    assert [(a.number, a.ok, a.error) for a in record.attempts] == [
        (1, False, "RuntimeError: not yet (1)"),
        (2, False, "RuntimeError: not yet (2)"),
        (3, True, None),
    ]
    assert record.duration_ms >= 2 * 50  # two delays of retry_delay between three attempts


@pytest.mark.anyio
async def test_a_step_that_fails_every_attempt_reports_the_last_error_and_stops_the_run(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(COUNTER)
    path = write_spec(
        """
        test: {name: retry}
        steps:
          - name: flaky
            tool: counter_fail_below
            args: {succeed_at: 5}
            retry: 1
            retry_delay: 0
          - tool: store_value
            args: {name: never, value: 1}
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "FAIL"
    assert trace.failed_step == "steps[0]"
    assert trace.reason == (
        f"step `flaky` (steps[0]) at {path}:3:5 failed: RuntimeError: not yet (2) "
        f"(at {path.parent / 'plugins' / 'counter.py'}:18 in fail_below)"
    )
    skipped = step(trace, "steps[1]")
    assert (skipped.status, skipped.note) == ("not_run", "an earlier step failed")


@pytest.mark.anyio
async def test_an_unknown_tool_fails_its_step_naming_the_location_once(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: typo}
        steps:
          - tool: store_valu
            args: {name: a, value: 1}
        """
    )
    (plan,) = compile_file(path)
    (trace,) = await run_plan(plan, RunSettings(ToolRegistry(builtin_tools())))
    assert trace.outcome == "FAIL"
    assert trace.steps[0].error is not None
    assert trace.steps[0].error.startswith("unknown tool `store_valu` (known tools: ")
    assert trace.steps[0].error.endswith("(did you mean `store_value`?)")
    assert trace.reason.count(f"{path}:3:5") == 1


@pytest.mark.anyio
async def test_an_exception_without_a_message_is_named_by_its_type(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(
        {
            "quiet.py": """
                from llm_pytest import LLMPlugin

                class Quiet(LLMPlugin):
                    name = "quiet"

                    async def fail(self) -> None:
                        raise KeyError

                    def stop(self) -> None:
                        raise KeyboardInterrupt
            """
        }
    )
    path = write_spec(
        """
        test: {name: quiet}
        steps:
          - {tool: quiet_fail, continue_on_error: true}
          - {tool: quiet_stop, continue_on_error: true}
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    plugin = path.parent / "plugins" / "quiet.py"
    assert [s.error for s in trace.steps] == [
        f"KeyError (at {plugin}:7 in fail)",
        "KeyboardInterrupt",
    ]


@pytest.mark.anyio
async def test_repeat_runs_count_or_expression_times_with_nested_loop_variables(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: repeat}
        vars: {rows: 2}
        steps:
          - repeat: vars.rows
            as: i
            steps:
              - repeat: 3
                steps:
                  - tool: store_value
                    args: {name: "cell_${i}_${index}", value: "${i * 10 + index}"}
          - tool: list_values
            save_as: all
            check:
              - len(result.values) == 6
              - result.values.cell_1_2 == 12
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    listed = step(trace, "steps[1]")
    assert listed.result["values"] == {
        "cell_0_0": 0, "cell_0_1": 1, "cell_0_2": 2,
        "cell_1_0": 10, "cell_1_1": 11, "cell_1_2": 12,
    }  # fmt: skip
    inner_calls = [s for s in trace.steps if s.tool == "store_value"]
    assert [s.loop for s in inner_calls[:4]] == [
        {"i": 0, "index": 0}, {"i": 0, "index": 1}, {"i": 0, "index": 2}, {"i": 1, "index": 0},
    ]  # fmt: skip
    assert step(trace, "steps[0]").args == {"count": 2, "as": "i"}


@pytest.mark.anyio
async def test_a_repeat_count_that_is_not_a_whole_number_fails_the_step_with_its_location(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: repeat}
        vars: {rows: "many"}
        steps:
          - repeat: vars.rows
            steps:
              - tool: list_values
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.reason == (
        f"step `repeat vars.rows` (steps[0]) at {path}:4:5 failed: "
        '`repeat: vars.rows` must give a whole number ≥ 0, got "many"'
    )


@pytest.mark.anyio
async def test_when_false_skips_the_step_and_when_true_runs_it(write_spec: WriteSpec) -> None:
    path = write_spec(
        """
        test: {name: when}
        vars: {enabled: false}
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            when: vars.enabled
          - tool: store_value
            args: {name: b, value: 2}
            when: iteration == 1
          - repeat: 2
            when: false
            steps:
              - tool: store_value
                args: {name: c, value: 3}
          - tool: list_values
            check: ["keys(result.values) == ['b']"]
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    assert [(s.id, s.status) for s in trace.steps] == [
        ("steps[0]", "skipped"),
        ("steps[1]", "passed"),
        ("steps[2]", "skipped"),
        ("steps[3]", "passed"),
    ]
    assert step(trace, "steps[0]").note == "`when: vars.enabled` was false"


@pytest.mark.anyio
async def test_continue_on_error_records_the_failure_without_stopping_or_failing_the_run(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: tolerant}
        steps:
          - tool: read_file
            args: {path: no-such-file.txt}
            continue_on_error: true
          - tool: store_value
            args: {name: after, value: 1}
            check: [result.value == 2]
            continue_on_error: true
          - tool: store_value
            args: {name: last, value: 1}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS"
    assert [(s.status, s.continue_on_error) for s in trace.steps] == [
        ("failed", True),
        ("failed", True),
        ("passed", False),
    ]
    assert trace.steps[0].error.startswith(f"file not found: {path.parent}/no-such-file.txt")
    assert trace.steps[1].error.startswith("check failed at ")


@pytest.mark.anyio
async def test_a_setup_failure_skips_the_steps_but_teardown_still_runs(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: setup}
        setup:
          - tool: read_file
            args: {path: missing.txt}
        steps:
          - tool: store_value
            args: {name: a, value: 1}
        teardown:
          - tool: store_value
            args: {name: cleaned, value: true}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert [(s.phase, s.status, s.note) for s in trace.steps] == [
        ("setup", "failed", None),
        ("steps", "not_run", "setup failed"),
        ("teardown", "passed", None),
    ]
    assert trace.failed_step == "setup[0]"


@pytest.mark.anyio
async def test_a_failing_teardown_step_fails_an_otherwise_passing_run(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: teardown}
        steps:
          - tool: list_values
        teardown:
          - tool: read_file
            args: {path: gone.txt}
          - tool: store_value
            args: {name: still, value: runs}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.failed_step == "teardown[0]"
    assert [s.status for s in trace.steps] == ["passed", "failed", "passed"]


@pytest.mark.anyio
async def test_every_run_starts_with_fresh_stored_values_saved_names_and_plugin_instances(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(COUNTER)
    path = write_spec(
        """
        test: {name: fresh}
        steps:
          - tool: get_value
            args: {name: marker, default: none}
            check: [result.found == false]
          - tool: counter_bump
            check: [result.count == 1]
          - tool: store_value
            args: {name: marker, value: "${iteration}"}
        """
    )
    result = await arun_spec(path, registry=registry, iterations=3, concurrency=1)
    assert [r.outcome for r in result.runs] == ["PASS", "PASS", "PASS"]


@pytest.mark.anyio
async def test_a_failed_check_names_the_expression_its_values_and_the_spec_line(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: checks}
        steps:
          - name: count things
            tool: store_value
            args: {name: count, value: 9}
            check:
              - result.stored == "count"
              - result.value == 10
        """
    )
    (trace,) = (await arun_spec(path)).runs
    message = f"check failed at {path}:8:9: result.value == 10  (result.value = 9)"
    assert trace.outcome == "FAIL"
    assert trace.reason == f"step `count things` (steps[0]) at {path}:3:5 failed: {message}"
    checks = trace.steps[0].checks
    assert [(c.expression, c.passed, c.location) for c in checks] == [
        ('result.stored == "count"', True, f"{path}:7:9"),
        ("result.value == 10", False, f"{path}:8:9"),
    ]
    assert checks[1].values == [("result.value", "9")]


@pytest.mark.anyio
async def test_a_check_that_cannot_be_evaluated_fails_with_the_reason(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: checks}
        steps:
          - tool: store_value
            args: {name: n, value: 1}
            check: [result.missing > 0]
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert f"check failed at {path}:5:13: result.missing > 0  (result.missing = <undefined>): " in (
        trace.reason
    )
    assert "has no field `missing`" in trace.reason


@pytest.mark.anyio
async def test_an_undefined_name_at_run_time_is_located_in_the_spec(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: names}
        steps:
          - tool: store_value
            args: {name: a, value: "${stored.nothing}"}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.steps[0].error.startswith(
        f"{path}:4:31: `stored` has no field `nothing` (it is an empty map) "
        "in `${stored.nothing}`"
    )
    assert trace.steps[0].attempts == []


@pytest.mark.anyio
async def test_arguments_that_do_not_match_the_tool_schema_are_a_located_step_error(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: schema}
        vars: {seconds: "soon"}
        steps:
          - tool: sleep
            args: {seconds: "${vars.seconds}"}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.steps[0].error == (
        f"arguments of `sleep` at {path}:4:5 do not match its schema: "
        "`args.seconds`: expected number, got 'soon'"
    )
    assert trace.steps[0].args == {"seconds": "soon"}


@pytest.mark.anyio
async def test_interpolation_keeps_the_type_of_a_lone_expression_and_fills_text_otherwise(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: interpolation}
        steps:
          - tool: store_value
            args: {name: user, value: {id: 42, email: a@example.com}}
            save_as: user
          - tool: store_value
            args: {name: id, value: "${user.value.id}"}
            check: [result.value == 42]
          - tool: store_value
            args: {name: text, value: "${user.value.email}_updated $${literal}"}
            check: ['result.value == "a@example.com_updated ${literal}"']
        """
    )
    lines: list[str] = []
    (trace,) = (await arun_spec(path, log=lines.append)).runs
    assert trace.outcome == "PASS", trace.reason
    assert "[interpolate] ${user.value.id} -> 42" in lines
    assert '[tool] store_value({"name": "id", "value": 42})' in lines
    assert '[tool result] OK: {"stored": "id", "value": 42}' in lines


@pytest.mark.anyio
async def test_a_fragment_binds_its_params_for_its_steps_and_its_saved_names_stay_visible(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: fragments}
        fragments:
          remember:
            params: [key, amount]
            steps:
              - tool: store_value
                args: {name: "${key}", value: "${amount * 2}"}
                save_as: remembered
        steps:
          - use: remember
            with: {key: first, amount: 21}
          - tool: get_value
            args: {name: "${remembered.stored}"}
            check: [result.value == 42]
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    assert [(s.kind, s.status) for s in trace.steps] == [
        ("use", "passed"),
        ("tool", "passed"),
        ("tool", "passed"),
    ]
    assert trace.steps[0].args == {"key": "first", "amount": 21}


@pytest.mark.anyio
async def test_a_when_that_cannot_be_evaluated_fails_the_step_with_its_location(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: when}
        steps:
          - tool: list_values
            when: stored.flag
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.steps[0].error is not None
    assert trace.steps[0].error.startswith(f"`when` failed: {path}:4:11: `stored` has no field")


@pytest.mark.anyio
async def test_vars_that_cannot_be_computed_fail_the_run_before_any_step(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: vars}
        vars: {home: "${env.LLM_PYTEST_SURELY_UNSET_VARIABLE}"}
        setup:
          - tool: list_values
        steps:
          - tool: list_values
        teardown:
          - tool: list_values
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.reason.startswith(f"cannot compute vars: {path}:2:")
    assert [(s.phase, s.status, s.note) for s in trace.steps] == [
        ("setup", "not_run", "vars failed"),
        ("steps", "not_run", "vars failed"),
        ("teardown", "passed", None),
    ]
