"""`--llm-deadline` and ini `llm_deadline` give specs without `test.deadline` one; a spec's own
wins over them, and `--llm-override test.deadline=...` wins over the spec."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import run, write

NAPS = """\
    test:
      name: "Naps"{deadline}
    steps:
      - {{name: nap, tool: sleep, args: {{seconds: 0.3}}}}
      - {{name: another nap, tool: sleep, args: {{seconds: 0.3}}}}
    teardown:
      - {{name: wake up, tool: store_value, args: {{name: awake, value: true}}}}
    """


def naps(deadline: float | None = None) -> str:
    return NAPS.format(deadline="" if deadline is None else f"\n      deadline: {deadline:g}")


def test_llm_deadline_fails_a_spec_that_sets_none_naming_the_running_step(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_naps.yaml", naps())
    run(pytester, "--llm").assert_outcomes(passed=1)
    result = run(pytester, "--llm", "--llm-deadline", "0.45")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  step `another nap` (sleep) at tests/llm/test_naps.yaml:5:5",
            '    error:  deadline of 0.45s exceeded during step "another nap" '
            "(tests/llm/test_naps.yaml:5:5)",
        ]
    )


def test_ini_llm_deadline_works_like_the_option(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_naps.yaml", naps())
    pytester.makeini("[pytest]\nllm_deadline = 0.45\n")
    result = run(pytester, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*deadline of 0.45s exceeded during step "another nap"*'])


def test_a_spec_deadline_wins_over_llm_deadline(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_naps.yaml", naps(deadline=30))
    run(pytester, "--llm", "--llm-deadline", "0.1").assert_outcomes(passed=1)


def test_an_override_of_test_deadline_wins_over_the_spec(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_naps.yaml", naps(deadline=30))
    result = run(pytester, "--llm", "--llm-override", "test.deadline=0.1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*deadline of 0.1s exceeded during step "nap"*'])


def test_teardown_still_runs_after_the_deadline(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_naps.yaml", naps(deadline=0.1))
    result = run(pytester, "--llm", "--llm-verbose")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '?deadline? deadline of 0.1s exceeded during step "nap"*',
            '*OK: {"stored": "awake", "value": true}*',
            "*error:  deadline of 0.1s exceeded*",
        ]
    )


def test_a_deadline_that_is_not_a_positive_number_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_naps.yaml", naps())
    result = run(pytester, "--llm", "--llm-deadline", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --llm-deadline: expected a number of seconds > 0*"])
