"""The README's quick start, verbatim, in a fresh project: its spec and its three commands."""

from __future__ import annotations

import glob

import pytest

from tests.pytest_plugin.plugin_support import run, write

QUICK_START = """\
test:
  name: "User Creation Test"
  description: "Verify user creation works correctly"
  timeout: 30

steps:
  - name: "Create a user"
    tool: my_api_create_user
    args:
      name: "Alice"
      email: "alice@example.com"
    save_as: created_user
    expect: "User should be created with valid ID and timestamp"

verdict:
  pass_if: "User was created with correct data"
  fail_if: "User creation failed or data is invalid"
"""


@pytest.fixture
def quick_start(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The quick-start project, on a machine with no LLM configured."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    project.makeini("[pytest]\nllm_judge_claude_command = claude-is-not-installed-here\n")
    (project.path / "tests/llm/test_example.yaml").write_text(QUICK_START, encoding="utf-8")
    return project


def test_quick_start_without_a_judge_is_skipped_with_how_to_configure_one(
    quick_start: pytest.Pytester,
) -> None:
    result = run(quick_start, "tests/llm/", "--llm", "-v", "-rs")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "llm-pytest judge: offline*",
            "tests/llm/test_example.yaml::User Creation Test SKIPPED (no judge co*",
            "SKIPPED [[]1[]] tests/llm/test_example.yaml:2: no judge configured: *--llm-provider*",
        ]
    )


def test_quick_start_verbose_shows_the_tool_call_and_its_result(
    quick_start: pytest.Pytester,
) -> None:
    result = run(quick_start, "tests/llm/", "--llm", "--llm-verbose")
    result.stdout.fnmatch_lines(
        [
            glob.escape(
                '[tool] my_api_create_user({"name": "Alice", "email": "alice@example.com"})'
            ),
            glob.escape(
                '[tool result] OK: {"id": 42, "name": "Alice", "email": "alice@example.com"'
            )
            + "*",
        ]
    )


def test_quick_start_with_a_longer_timeout_runs(quick_start: pytest.Pytester) -> None:
    result = run(quick_start, "tests/llm/", "--llm", "--llm-timeout", "300")
    result.assert_outcomes(skipped=1)


def test_quick_start_passes_when_the_judge_says_pass(quick_start: pytest.Pytester) -> None:
    write(
        quick_start,
        "verdicts.yaml",
        """\
        User Creation Test:
          verdict: PASS
          reason: "user 42 has a valid id, the email given and a created_at timestamp"
        """,
    )
    quick_start.makeini("[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n")
    result = run(quick_start, "tests/llm/", "--llm", "-v")
    result.stdout.fnmatch_lines(["tests/llm/test_example.yaml::User Creation Test PASSED*"])
