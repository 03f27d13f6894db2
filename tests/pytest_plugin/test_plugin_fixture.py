"""The `llm_runner` fixture: Python tests over specs, with the result API and the reports."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import run, write

USERS = """\
    test:
      name: "Users"
    vars:
      limit: 3
      greeting: "${env.GREETING ?? 'none'}"
    steps:
      - tool: my_api_fetch_users
        args: {base_url: "http://127.0.0.1:9", limit: "${vars.limit}"}
        check: result.count == vars.limit
      - tool: store_value
        args: {name: greeting, value: "${vars.greeting}"}
        check: result.value == "hello"
    """


def test_runner_returns_the_result_api_and_takes_overrides_iterations_env(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    write(
        project,
        "tests/llm/test_users_api.py",
        """\
        def test_users(llm_runner):
            result = llm_runner(
                "test_users.yaml",
                overrides={"vars.limit": 7},
                iterations=3,
                env={"GREETING": "hello"},
                timeout=30,
            )
            assert result.total_runs == 3
            assert result.pass_rate == 1.0
            assert not result.flaky
            assert result.pass_hat_k(3) == 1.0
            assert result.runs[0].steps[0].args == {"base_url": "http://127.0.0.1:9", "limit": 7}
            result.require_success()
            result.require_min_runs(3)

        def test_failing_runs_are_explained(llm_runner):
            result = llm_runner("tests/llm/test_users.yaml", overrides=["vars.limit=2"])
            assert result.pass_rate == 0.0
            result.require_success(threshold=0.5)
        """,
    )
    result = run(project, "tests/llm/test_users_api.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * AssertionError: pass rate 0.0% (0 of 1 runs passed) is below the *50*",
            "E * Users iteration 1: FAIL: step `store_value` (steps[[]1[]]) at *"
            'check failed at tests/llm/test_users.yaml:12:12: result.value == "hello"*',
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*= llm-pytest summary =*",
            "tests/llm/test_users_api.py::test_users",
            "  test_users.yaml::Users * 3 * 100% *",
            "tests/llm/test_users_api.py::test_failing_runs_are_explained",
            "  test_users.yaml::Users * 1 * 0% *",
        ]
    )


def test_session_options_apply_beneath_the_runner_arguments(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    write(
        project,
        "tests/llm/test_users_api.py",
        """\
        def test_iterations_from_the_command_line(llm_runner):
            assert llm_runner("test_users.yaml").total_runs == 2

        def test_own_iterations_win(llm_runner):
            assert llm_runner("test_users.yaml", iterations=1).total_runs == 1
        """,
    )
    run(project, "--llm-iterations", "2", "tests/llm/test_users_api.py").assert_outcomes(passed=2)


def test_spec_problem_fails_the_test_in_spec_terms(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_bad.yaml", "test: {name: Bad}\nsteps: []\n")
    write(
        project,
        "tests/llm/test_bad_api.py",
        """\
        def test_bad(llm_runner):
            llm_runner("test_bad.yaml")
        """,
    )
    result = run(project, "tests/llm/test_bad_api.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["tests/llm/test_bad.yaml:2:*steps*", "*hint:*"])
    assert "llm_pytest" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()
    # reported once in the failure section (pytest's short summary may repeat its first line)
    section = result.stdout.str().split("short test summary info")[0]
    assert section.count("`steps` must not be empty") == 1


def test_runs_of_the_runner_reach_the_report_files_under_xdist(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    write(
        project,
        "tests/llm/test_users_api.py",
        """\
        def test_users(llm_runner):
            llm_runner("test_users.yaml", env={"GREETING": "hello"}).require_success()
        """,
    )
    run(project, "-n", "2", "--llm-report-dir", "out", "tests/llm/test_users_api.py")
    lines = (project.path / "out" / "trace_summary.jsonl").read_text().splitlines()
    assert len(lines) == 1
    assert '"nodeid": "tests/llm/test_users_api.py::test_users"' in lines[0]
