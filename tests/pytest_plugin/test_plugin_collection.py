"""Collection: opt-in, an item per test × experiment, tags as markers, spec errors in spec terms."""

from __future__ import annotations

import glob

import pytest

from tests.pytest_plugin.plugin_support import NO_NOISE, run, write

USERS = """\
    test:
      name: "User Creation Test"
      tags: [api, smoke]
    experiments:
      - name: small
        overrides: {vars.limit: 2}
      - name: large
        overrides: {vars.limit: 5}
    vars:
      limit: 3
    steps:
      - tool: my_api_fetch_users
        args: {base_url: "http://127.0.0.1:9", limit: "${vars.limit}"}
        check: result.count == vars.limit
    ---
    test:
      name: "Health"
      tags: [ops]
    steps:
      - tool: store_value
        args: {name: up, value: true}
    """


def test_without_llm_flag_spec_files_are_not_collected(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    result = run(project, "--collect-only", "-q")
    assert "test_users.yaml" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_each_test_and_experiment_is_an_item_with_a_spec_id(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    result = run(project, "--llm", "-v")
    result.stdout.fnmatch_lines(
        [
            glob.escape("tests/llm/test_users.yaml::User Creation Test[small]") + " PASSED*",
            glob.escape("tests/llm/test_users.yaml::User Creation Test[large]") + " PASSED*",
            "tests/llm/test_users.yaml::Health PASSED*",
        ]
    )
    result.assert_outcomes(passed=3)


def test_tags_select_items_with_m_and_k(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    # the strict-markers check applies to inner sessions too: tags must be registered markers
    run(project, "--llm", "--strict-markers", "-m", "smoke").assert_outcomes(passed=2)
    run(project, "--llm", "-m", "ops and not smoke").assert_outcomes(passed=1)
    run(project, "--llm", "-k", "api and large").assert_outcomes(passed=1)
    run(project, "--llm", "-k", "Health").assert_outcomes(passed=1)


def test_items_point_at_the_line_of_their_test_name(project: pytest.Pytester) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    items, _ = project.inline_genitems("--llm", *NO_NOISE)
    assert [(i.location[0], i.location[1] + 1) for i in items] == [
        ("tests/llm/test_users.yaml", 2),
        ("tests/llm/test_users.yaml", 2),
        ("tests/llm/test_users.yaml", 17),
    ]


def test_spec_error_is_a_collection_error_with_location_excerpt_and_advice(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        "tests/llm/test_bad.yaml",
        """\
        test:
          name: "Bad"
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            retry_dealy: 2
        """,
    )
    result = run(project, "--llm")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting tests/llm/test_bad.yaml*",
            "tests/llm/test_bad.yaml:6:5: *retry_dealy*",
            "*6 |     retry_dealy: 2",
            "*|     ^",
            "*hint:*retry_delay*",
        ]
    )
    out = result.stdout.str()
    assert "Traceback" not in out
    assert "llm_pytest" not in out


def test_several_spec_errors_of_a_file_are_all_reported(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_bad.yaml",
        """\
        test: {name: "Bad", timeout: "thirty"}
        steps:
          - name: "Bad step"
            args: {foo: bar}
        """,
    )
    result = run(project, "--llm")
    result.stdout.fnmatch_lines(
        ["tests/llm/test_bad.yaml:1:*thirty*", "tests/llm/test_bad.yaml:3:*"]
    )


def test_override_that_breaks_a_spec_names_the_override_and_its_source(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_users.yaml", USERS)
    result = run(project, "--llm", "--llm-override", "steps.3.retry=1")
    result.stdout.fnmatch_lines(["*override `steps.3.retry` from --llm-override*"])
    assert "Traceback" not in result.stdout.str()


def test_skip_and_xfail_of_a_spec_are_pytest_outcomes(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_marks.yaml",
        """\
        test:
          name: "Not yet"
          skip: "the service is not deployed"
        steps:
          - tool: store_value
            args: {name: a, value: 1}
        ---
        test:
          name: "Known bug"
          xfail: "ids start at 0 until #12 is fixed"
        steps:
          - tool: store_value
            args: {name: a, value: 0}
            check: result.value > 0
        """,
    )
    result = run(project, "--llm", "-rsx")
    result.assert_outcomes(skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] tests/llm/test_marks.yaml:2: the service is not deployed",
            "XFAIL tests/llm/test_marks.yaml::Known bug - ids start at 0 until #12 is fixed",
        ]
    )


def test_each_skip_of_a_spec_is_summarised_at_its_own_test_line(project: pytest.Pytester) -> None:
    step = "steps:\n  - tool: store_value\n    args: {name: a, value: 1}\n"
    write(
        project,
        "tests/llm/test_later.yaml",
        f'test:\n  name: "First"\n  skip: "not deployed"\n{step}---\n'
        f'test:\n  name: "Second"\n  skip: "not deployed"\n{step}',
    )
    result = run(project, "--llm", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] tests/llm/test_later.yaml:2: not deployed",
            "SKIPPED [[]1[]] tests/llm/test_later.yaml:9: not deployed",
        ]
    )
    assert "item.py" not in result.stdout.str()


def test_spec_patterns_ini_decides_which_files_are_specs(project: pytest.Pytester) -> None:
    write(project, "tests/llm/users_spec.yaml", USERS)
    write(project, "tests/llm/test_data.yaml", "not: a spec\n")
    project.makeini("[pytest]\nllm_spec_patterns = *_spec.yaml\n")
    run(project, "--llm").assert_outcomes(passed=3)


def test_other_yaml_files_are_left_alone(project: pytest.Pytester) -> None:
    write(project, "tests/llm/config.yaml", "anything: [1, 2]\n")
    write(project, "tests/llm/test_users.yaml", USERS)
    run(project, "--llm").assert_outcomes(passed=3)


def test_a_misspelt_tool_is_a_collection_error_at_its_step(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_typo.yaml",
        """\
        test: {name: typo}
        mcp_servers:
          notes: {command: python, args: [notes_server.py]}
        steps:
          - tool: notes_add_note
          - tool: store_valu
            args: {name: a, value: 1}
        """,
    )
    result = run(project, "--llm")
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_typo.yaml:6:5: unknown tool `store_valu` (known tools: *",
            "*hint: did you mean `store_value`?",
        ]
    )
    assert "notes_add_note" not in result.stdout.str()  # MCP tools are known only at run time
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_a_plugin_tool_named_like_a_builtin_is_a_collection_error_with_its_hint(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        "tests/llm/plugins/run.py",
        """\
        from llm_pytest import LLMPlugin


        class Run(LLMPlugin):
            name = "run"

            async def command(self) -> str:
                \"\"\"Shadow the built-in run_command.\"\"\"
                return "mine"
        """,
    )
    write(project, "tests/llm/test_clash.yaml", "test: {name: clash}\nsteps:\n  - tool: sleep\n")
    result = run(project, "--llm")
    result.stdout.fnmatch_lines(
        [
            "tool name `run_command` of plugin run is already used by builtin",
            "  hint: rename the plugin, method or MCP server so each tool name is unique",
        ]
    )
    result.stdout.no_fnmatch_line("*internal error*")
    assert result.ret == pytest.ExitCode.INTERRUPTED
