"""Item outcomes (docs/language.md §6, §11) and failure reports in the spec's own terms."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.pytest_plugin.plugin_support import run, write

JUDGED = """\
    test:
      name: "{name}"
    steps:
      - name: "Create a user"
        tool: my_api_create_user
        args: {{name: "Alice", email: "alice@example"}}
        save_as: created_user
        expect: "The user has a valid email"
    verdict:
      pass_if: "The user was created with correct data"
    """


@pytest.fixture
def scripted(project: pytest.Pytester) -> pytest.Pytester:
    """The project judged by the scripted provider reading verdicts.yaml."""
    project.makeini("[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n")
    return project


def test_runs_all_unclear_for_want_of_a_judge_make_a_skip_with_the_reasons(
    project: pytest.Pytester,
) -> None:
    write(project, "tests/llm/test_judged.yaml", JUDGED.format(name="Judged"))
    result = run(project, "--llm", "-rs", "--llm-provider", "offline", "--llm-iterations", "2")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] tests/llm/test_judged.yaml:2: all 2 runs UNCLEAR: no judge configured*"]
    )


def test_judge_pass_passes_and_fail_fails_with_its_reason_issues_and_the_step(
    scripted: pytest.Pytester,
) -> None:
    write(
        scripted,
        "tests/llm/test_judged.yaml",
        JUDGED.format(name="Good") + "---\n" + JUDGED.format(name="Bad"),
    )
    write(
        scripted,
        "verdicts.yaml",
        """\
        Good: PASS
        Bad:
          verdict: FAIL
          reason: "the email has no top-level domain"
          steps:
            - {name: "Create a user", ok: false, finding: "alice@example is not a valid email"}
          issues: ["validation.email_valid is false but the user was created anyway"]
          input_tokens: 120
          output_tokens: 30
          cost_usd: 0.002
        """,
    )
    result = run(scripted, "--llm")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ Bad _*",
            "Bad: 0 of 1 runs passed (pass rate 0%, min_pass_rate 100%)",
            "spec: tests/llm/test_judged.yaml:13:9",
            "run 1 of 1: FAIL (judged by scripted)",
            "  judge: the email has no top-level domain",
            "  step `Create a user` (my_api_create_user) at tests/llm/test_judged.yaml:15:5",
            '    | - name: "Create a user"',
            '    args:   {"name": "Alice", "email": "alice@example"}',
            '    result: {"id": 42, "name": "Alice", "email": "alice@example", *',
            "    judge: alice@example is not a valid email",
            "  issues:",
            "    - validation.email_valid is false but the user was created anyway",
            "runs passed: 0 of 1",
        ]
    )
    result.stdout.fnmatch_lines(["  Bad  * 1 * 0% * 150 * $0.0020"])
    assert "Traceback" not in result.stdout.str()


def test_unclear_runs_are_left_out_of_the_pass_rate(scripted: pytest.Pytester) -> None:
    write(scripted, "tests/llm/test_judged.yaml", JUDGED.format(name="Mixed"))
    write(
        scripted,
        "verdicts.yaml",
        "Mixed: [PASS, {verdict: UNCLEAR, reason: cannot tell}, FAIL, PASS]\n",
    )
    common = ["--llm", "--llm-iterations", "4", "--llm-concurrency", "1"]
    run(scripted, *common, "--llm-min-pass-rate", "0.6").assert_outcomes(passed=1)
    result = run(scripted, *common, "--llm-min-pass-rate", "0.7")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Mixed: 2 of 3 runs passed (pass rate 67%, min_pass_rate 70%); 1 UNCLEAR left out",
            "run 3 of 4: FAIL*",
            "runs passed: 2 of 4 (runs 1, 4)",
            "unclear runs (left out of the pass rate):",
            "  run 2: cannot tell",
        ]
    )
    result.stdout.fnmatch_lines(["  Mixed  * 4 * 67% * yes * 0% *"])


def test_an_answer_still_invalid_after_the_repair_fails_the_item_with_the_answer(
    scripted: pytest.Pytester,
) -> None:
    write(scripted, "tests/llm/test_judged.yaml", JUDGED.format(name="Prose"))
    write(
        scripted,
        "verdicts.yaml",
        "Prose: [PASS, {raw: 'I think it is fine'}, {raw: 'Still fine, trust me'}]\n",
    )
    result = run(scripted, "--llm", "--llm-iterations", "2", "--llm-concurrency", "1")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "Prose: the judge failed on 1 of 2 runs, which fails the item",
            "run 2 of 2: UNCLEAR, the judge failed (scripted)",
            "  the judge's answer is not a valid verdict, even after one repair attempt: "
            "*; it answered: 'Still fine, trust me'",
            "  judge's answer: Still fine, trust me",
            "runs passed: 1 of 2 (run 1)",
        ]
    )


def test_failed_check_shows_the_step_args_result_and_values(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_count.yaml",
        """\
        test:
          name: "Count"
          iterations: 3
        steps:
          - name: "List users"
            tool: my_api_fetch_users
            args: {base_url: "http://127.0.0.1:9", limit: "${iteration + 8}"}
            check:
              - result.count > 0
              - result.count == 10
        """,
    )
    result = run(project, "--llm", "--llm-concurrency", "1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Count: 1 of 3 runs passed (pass rate 33%, min_pass_rate 100%)",
            "run 1 of 3: FAIL",
            "  step `List users` (my_api_fetch_users) at tests/llm/test_count.yaml:5:5",
            '    | - name: "List users"',
            '    args:   {"base_url": "http://127.0.0.1:9", "limit": 9}',
            '    result: {"base_url": "http://127.0.0.1:9", "count": 9, *',
            "    check failed at tests/llm/test_count.yaml:10:9: result.count == 10",
            "      result.count = 9",
            "run 3 of 3: FAIL",
            "*result.count = 11",
            "runs passed: 1 of 3 (run 2)",
        ]
    )


def test_failed_tool_call_shows_the_error_and_the_attempts(project: pytest.Pytester) -> None:
    write(
        project,
        "tests/llm/test_missing.yaml",
        """\
        test:
          name: "Missing user"
        steps:
          - tool: my_api_get_user
            args: {user_id: 7}
            retry: 2
            retry_delay: 0
          - tool: store_value
            args: {name: never, value: 1}
        """,
    )
    result = run(project, "--llm")
    result.stdout.fnmatch_lines(
        [
            "  step `my_api_get_user` at tests/llm/test_missing.yaml:4:5",
            '    args:   {"user_id": 7}',
            "    error:  LookupError: no user 7 (at tests/llm/plugins/my_api.py:37 in get_user)",
            '      | raise LookupError(f"no user {user_id}")',
            "    attempts: 3",
        ]
    )


def test_judge_that_cannot_be_used_stops_the_session_with_one_message(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    project.makeini("[pytest]\nllm_judge_claude_command = no-such-claude-here\n")
    first, second = (JUDGED.format(name=n) + "judge: {provider: openai}\n" for n in "12")
    write(project, "tests/llm/test_judged.yaml", first + "---\n" + second)
    result = run(project, "--llm", "--llm-iterations", "2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "the openai judge needs an API key: set OPENAI_API_KEY*",
            "*Interrupted: llm-pytest: the judge cannot be used: the openai judge needs*",
        ]
    )
    result.stdout.no_fnmatch_line("*test_judged.yaml::2*")


def test_a_finding_whose_name_echoes_the_prompts_step_number_is_shown_at_its_step(
    scripted: pytest.Pytester,
) -> None:
    write(scripted, "tests/llm/test_judged.yaml", JUDGED.format(name="Echo"))
    write(
        scripted,
        "verdicts.yaml",
        """\
        Echo:
          verdict: FAIL
          reason: "the email has no top-level domain"
          steps:
            - {name: "1. Create a user", ok: false, finding: "alice@example is not valid"}
        """,
    )
    result = run(scripted, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  judge: the email has no top-level domain",
            "  step `Create a user` (my_api_create_user) at tests/llm/test_judged.yaml:4:5",
            '    | - name: "Create a user"',
            '    args:   {"name": "Alice", "email": "alice@example"}',
            "    judge: alice@example is not valid",
        ]
    )
    result.stdout.no_fnmatch_line("*step `1. Create a user`*")


def test_a_tool_name_clash_between_a_plugin_and_an_mcp_server_is_told_at_the_server(
    project: pytest.Pytester,
) -> None:
    server = Path(__file__).parents[1] / "tools" / "mcp" / "servers" / "scripted_server.py"
    (project.path / "tests" / "llm" / "server.py").write_text(server.read_text())
    write(
        project,
        "tests/llm/plugins/probe.py",
        """\
        from llm_pytest import LLMPlugin


        class Probe(LLMPlugin):
            name = "probe"

            async def ping(self) -> str:
                \"\"\"Answer pong.\"\"\"
                return "pong"
        """,
    )
    write(
        project,
        "tests/llm/test_clash.yaml",
        f"""\
        test: {{name: Clash}}
        mcp_servers:
          probe:
            command: {json.dumps(sys.executable)}
            args: [server.py, serve]
        steps:
          - tool: probe_ping
        """,
    )
    result = run(project, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_clash.yaml:3:3: MCP server `probe` offers the tool `probe_ping`, "
            "a name already used by *probe*",
            "    3 |   probe:",
            "  hint: rename the MCP server (its tools are named <server>_<tool>) or the plugin*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_step_expecting_an_error_passes_on_it_and_fails_saying_what_came_instead(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        "tests/llm/test_refusals.yaml",
        """\
        test:
          name: "Refused"
        steps:
          - tool: my_api_get_user
            args: {user_id: 7}
            expect_error: {matches: "no user 7", type: LookupError}
            check: call.error_type == "LookupError"
        ---
        test:
          name: "Not refused"
        steps:
          - tool: my_api_create_user
            args: {name: "Alice", email: "alice@example.com"}
            save_as: alice
          - tool: my_api_get_user
            args: {user_id: "${alice.id}"}
            expect_error: "no user"
        """,
    )
    result = run(project, "--llm", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_refusals.yaml::Refused PASSED*",
            "  step `my_api_get_user` at tests/llm/test_refusals.yaml:15:5",
            "    error:  expected an error matching `no user`, but the call succeeded",
        ]
    )
