"""Every --llm-* option and its ini key has the effect it promises; bad values are usage errors."""

from __future__ import annotations

import glob
import json

import pytest

from tests.pytest_plugin.plugin_support import NO_NOISE, run, write

SLOW = """\
    test:
      name: "Slow"
      timeout: 0.05
    steps:
      - tool: sleep
        args: {seconds: 0.3}
    """

HALF = """\
    test:
      name: "Half"
    steps:
      - tool: store_value
        args: {name: i, value: "${iteration}"}
        check: result.value % 2 == 1
    """

LIMIT = """\
    test:
      name: "Limit"
    vars:
      limit: 3
    steps:
      - tool: my_api_fetch_users
        args: {base_url: "http://127.0.0.1:9", limit: "${vars.limit}"}
        check: result.count == 7
    """


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-iterations", "0"], "argument --llm-iterations: expected a whole number ≥ 1"),
        (["--llm-iterations", "many"], "argument --llm-iterations: expected a whole number"),
        (["--llm-timeout", "-1"], "argument --llm-timeout: expected a number of seconds > 0"),
        (["--llm-min-pass-rate", "80"], "write 80% or 0.8 for eighty percent"),
        (["--llm-min-pass-rate", "1.5"], "argument --llm-min-pass-rate: expected a rate"),
        (["--llm-concurrency", "0"], "argument --llm-concurrency: expected a whole number ≥ 1"),
        (["--llm-override", "vars.limit"], "argument --llm-override: expected PATH=VALUE"),
        (["--llm-cache", "sometimes"], "argument --llm-cache: expected one of auto, on, off"),
        (["--llm-provider", "gpt"], "unknown judge provider `gpt`"),
        (["--llm-provider", "scripted"], "the scripted judge needs a script"),
    ],
)
def test_bad_option_values_are_usage_errors(
    project: pytest.Pytester, args: list[str], message: str
) -> None:
    result = run(project, "--llm", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_bad_ini_values_are_usage_errors_naming_the_key(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nllm_iterations = zero\n")
    result = run(project, "--llm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini option llm_iterations: expected a whole number ≥ 1, got 'zero'" in (
        result.stderr.str()
    )


def test_options_are_listed_in_help(project: pytest.Pytester) -> None:
    out = run(project, "--help").stdout.str()
    for option in ("--llm-verbose", "--llm-override=PATH=VALUE", "--llm-html=PATH", "llm_timeout"):
        assert option in out


def test_llm_timeout_replaces_the_spec_default_but_not_a_step_timeout(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_slow.yaml", SLOW)
    result = run(project, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*error:  timed out after 0.05s*"])
    run(project, "--llm", "--llm-timeout", "30").assert_outcomes(passed=1)
    project.makeini("[pytest]\nllm_timeout = 30\n")
    run(project, "--llm").assert_outcomes(passed=1)
    step_timeout = SLOW.replace("{seconds: 0.3}", "{seconds: 0.3}\n        timeout: 0.05")
    write(project, "tests/llm/test_slow.yaml", step_timeout)
    run(project, "--llm", "--llm-timeout", "30").assert_outcomes(failed=1)


def test_iterations_and_min_pass_rate_decide_the_outcome(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    run(project, "--llm").assert_outcomes(passed=1)  # one run: iteration 1 is odd
    failed = run(project, "--llm", "--llm-iterations", "4")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["Half: 2 of 4 runs passed (pass rate 50%, min_pass_rate 100%)"])
    run(project, "--llm", "--llm-iterations", "4", "--llm-min-pass-rate", "0.5").assert_outcomes(
        passed=1
    )
    run(project, "--llm", "--llm-iterations=4", "--llm-min-pass-rate=50%").assert_outcomes(passed=1)
    project.makeini("[pytest]\nllm_iterations = 4\nllm_min_pass_rate = 0.75\n")
    run(project, "--llm").assert_outcomes(failed=1)
    run(project, "--llm", "--llm-min-pass-rate", "0.5").assert_outcomes(passed=1)


def test_overrides_apply_in_order_after_experiments(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_limit.yaml", LIMIT)
    run(project, "--llm").assert_outcomes(failed=1)
    run(project, "--llm", "--llm-override", "vars.limit=7").assert_outcomes(passed=1)
    both = ["--llm-override", "vars.limit=1", "--llm-override", "vars.limit=7"]
    run(project, "--llm", *both).assert_outcomes(passed=1)  # the later one wins
    experiment = "experiments:\n      - name: two\n        overrides: {vars.limit: 2}\n    vars:"
    write(project, "tests/llm/test_limit.yaml", LIMIT.replace("vars:", experiment, 1))
    run(project, "--llm").assert_outcomes(failed=1)
    run(project, "--llm", "--llm-override", "vars.limit=7").assert_outcomes(passed=1)
    project.makeini("[pytest]\nllm_overrides =\n    vars.limit=7\n")
    run(project, "--llm").assert_outcomes(passed=1)
    run(project, "--llm", "--llm-override", "vars.limit=1").assert_outcomes(failed=1)


def test_llm_verbose_lines_say_which_run_when_an_item_has_several(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        "tests/llm/test_runs.yaml",
        """\
        test: {name: "Runs", iterations: 2}
        steps:
          - tool: store_value
            args: {name: i, value: "${iteration}"}
        """,
    )
    result = run(project, "--llm", "--llm-verbose", "--llm-concurrency", "1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            glob.escape("[run 1] [interpolate] ${iteration} -> 1"),
            glob.escape('[run 1] [tool] store_value({"name": "i", "value": 1})'),
            glob.escape("[run 2] [interpolate] ${iteration} -> 2"),
            glob.escape('[run 2] [tool result] OK: {"stored": "i", "value": 2}'),
        ]
    )


def test_llm_verbose_shows_calls_results_and_interpolations_live(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_verbose.yaml",
        """\
        test:
          name: "Verbose"
        steps:
          - tool: my_api_create_user
            args: {name: "Alice", email: "alice@example.com"}
            save_as: created_user
          - tool: store_value
            args: {name: user_id, value: "${created_user.id}"}
          - tool: my_api_get_user
            args: {user_id: "${stored.user_id}"}
        """,
    )
    result = run(project, "--llm", "-v", "--llm-verbose")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_verbose.yaml::Verbose ",
            glob.escape(
                '[tool] my_api_create_user({"name": "Alice", "email": "alice@example.com"})'
            ),
            glob.escape(
                '[tool result] OK: {"id": 42, "name": "Alice", "email": "alice@example.com"'
            )
            + "*",
            glob.escape("[interpolate] ${created_user.id} -> 42"),
            glob.escape('[tool] store_value({"name": "user_id", "value": 42})'),
            glob.escape("[interpolate] ${stored.user_id} -> 42"),
            glob.escape('[tool] my_api_get_user({"user_id": 42})'),
            "tests/llm/test_verbose.yaml::Verbose PASSED*",
        ]
    )
    quiet = run(project, "--llm", "-v")
    assert "[tool]" not in quiet.stdout.str()
    project.makeini("[pytest]\nllm_verbose = true\n")
    assert "[tool] store_value(" in run(project, "--llm").stdout.str()


def test_llm_concurrency_bounds_the_runs_in_flight(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/plugins/gate.py",
        '''\
        import anyio
        from llm_pytest import LLMPlugin


        class Gate(LLMPlugin):
            """Counts runs inside `pass_through` at once; `meet` waits until n runs arrived."""

            name = "gate"
            active = 0
            peak = 0
            arrived = 0

            async def pass_through(self) -> dict:
                cls = type(self)
                cls.active += 1
                cls.peak = max(cls.peak, cls.active)
                for _ in range(20):
                    await anyio.sleep(0)
                cls.active -= 1
                return {"peak": cls.peak}

            async def meet(self, n: int) -> dict:
                cls = type(self)
                cls.arrived += 1
                while cls.arrived < n:
                    await anyio.sleep(0.001)
                return {"arrived": cls.arrived}
        ''',
    )
    write(
        project,
        "tests/llm/test_gate.yaml",
        """\
        test: {name: "One at a time", iterations: 4}
        steps:
          - tool: gate_pass_through
            check: result.peak == 1
        ---
        test: {name: "All together", iterations: 4, timeout: 5}
        steps:
          - tool: gate_meet
            args: {n: 4}
        """,
    )
    run(project, "--llm", "--llm-concurrency", "1", "-k", "One").assert_outcomes(passed=1)
    run(project, "--llm", "--llm-concurrency", "4", "-k", "All").assert_outcomes(passed=1)


def test_judge_provider_model_and_its_settings_come_from_options_and_ini(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        "tests/llm/test_judged.yaml",
        """\
        test: {name: "Judged"}
        steps:
          - tool: my_api_create_user
            args: {name: "Alice", email: "alice@example.com"}
            expect: "A user is created"
        """,
    )
    write(project, "verdicts.yaml", "Judged: {verdict: PASS, reason: user 42 looks right}\n")
    project.makeini("[pytest]\nllm_judge_script = verdicts.yaml\n")
    result = run(project, "--llm", "--llm-provider", "scripted", "--llm-model", "m-1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["llm-pytest judge: scripted m-1 (set with --llm-provider or ini llm_provider)"]
    )
    project.makeini("[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n")
    run(project, "--llm").assert_outcomes(passed=1)
    run(project, "--llm", "--llm-provider", "offline").assert_outcomes(skipped=1)


def test_judge_cache_reuses_verdicts_between_sessions_when_on(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_judged.yaml",
        """\
        test: {name: "Judged"}
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            expect: "The value is stored"
        """,
    )
    write(project, "verdicts.yaml", "Judged: PASS\n")
    project.makeini(
        "[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n"
        "llm_report_dir = out\n"
    )

    def cached(*args: str) -> list[bool]:
        # the cache lives in pytest's cache directory: keep the cacheprovider plugin here
        project.runpytest("-p", "no:benchmark", "-p", "no:hypothesispytest", "--llm", *args)
        lines = (project.path / "out" / "per_trace.jsonl").read_text().splitlines()
        return [json.loads(line)["judge"]["cached"] for line in lines]

    assert cached() == [False]
    assert cached() == [True]
    assert cached("--llm-cache", "off") == [False]
    assert cached("--llm-iterations", "2") == [False, False]  # auto: off for repeats
    # iteration 1 asks exactly what the single runs above asked; iteration 2's prompt differs
    assert cached("--llm-iterations", "2", "--llm-cache", "on") == [True, False]
    assert cached("--llm-iterations", "2", "--llm-cache", "on") == [True, True]


def test_report_dir_and_html_go_where_asked(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    result = run(project, "--llm", "--llm-report-dir", "reports/llm", "--llm-html", "r/index.html")
    result.stdout.fnmatch_lines(["traces: reports/llm/", "html report: r/index.html"])
    assert (project.path / "reports/llm/trace_summary.jsonl").is_file()
    assert (project.path / "reports/llm/per_trace.jsonl").is_file()
    assert "Half" in (project.path / "r/index.html").read_text()
    assert not (project.path / ".pytest_cache").exists()
    project.makeini("[pytest]\nllm_report_dir = from-ini\nllm_html = from-ini/report.html\n")
    run(project, "--llm")
    assert (project.path / "from-ini/trace_summary.jsonl").is_file()
    assert (project.path / "from-ini/report.html").is_file()


def test_unwritable_report_place_is_one_message_after_the_outcomes(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    (project.path / "taken").write_text("a file, not a directory\n", encoding="utf-8")
    result = run(project, "--llm", "--llm-html", "taken/report.html")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["llm-pytest could not write its reports to *taken*: * --llm-report-dir / --llm-html"]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_llm_traceback_shows_our_frames_only_when_asked(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    write(project, "tests/llm/plugins/broken.py", "def oops(:\n    pass\n")
    result = run(project, "--llm")
    result.assert_outcomes(errors=1)  # the tools are checked, so plugins load, at collection
    result.stdout.fnmatch_lines(
        [
            "*/tests/llm/plugins/broken.py:1:10: plugin failed to import: SyntaxError*",
            "    1 | def oops(:",
            "*hint:*",
        ]
    )
    assert "llm_pytest" not in result.stdout.str()
    traced = run(project, "--llm", "--llm-traceback")
    traced.stdout.fnmatch_lines(["*llm_pytest/pytest_plugin/*.py:*"])


def test_without_llm_no_option_does_anything(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_half.yaml", HALF)
    write(project, "tests/test_plain.py", "def test_plain():\n    pass\n")
    result = project.runpytest(*NO_NOISE, "--llm-iterations", "3", "--llm-html", "r.html")
    result.assert_outcomes(passed=1)
    assert "llm-pytest judge" not in result.stdout.str()
    assert "llm-pytest summary" not in result.stdout.str()
    assert not (project.path / "r.html").exists()
    assert not (project.path / ".pytest_cache").exists()


GREETS = """\
    test: {name: greets}
    steps:
      - tool: my_api_fetch_users
        args: {base_url: "http://127.0.0.1:9", limit: 7}
        check: result.count == 7
    """


def test_ini_llm_plugin_dirs_names_plugin_folders_relative_to_the_ini_file(
    project: pytest.Pytester,
) -> None:
    (project.path / "tests/llm/plugins").rename(project.path / "support")
    project.makeini("[pytest]\nllm_plugin_dirs = support\n")
    write(project, "tests/llm/api/test_greets.yaml", GREETS)
    run(project, "--llm", "tests/llm/api").assert_outcomes(passed=1)


def test_a_tool_of_a_plugin_that_is_not_found_is_a_collection_error_saying_where_it_looked(
    project: pytest.Pytester,
) -> None:
    project.makeini("[pytest]\nllm_plugin_dirs = elsewhere\n")
    (project.path / "elsewhere").mkdir()
    write(project, "specs/test_greets.yaml", GREETS)
    result = run(project, "--llm", "specs")
    result.stdout.fnmatch_lines(
        [
            "specs/test_greets.yaml:3:5: unknown tool `my_api_fetch_users` (known tools: *",
            "*hint: plugins are looked for in elsewhere (ini llm_plugin_dirs names others);*",
        ]
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
