"""An exception raised inside a plugin's method fails its step with the plugin's file and line:
the innermost frame of the project's code, its source line, and with ``--llm-traceback`` every
frame of the traceback."""

from __future__ import annotations

import json

import pytest

from tests.pytest_plugin.plugin_support import run, write

SESSION_TOOLS = """\
from llm_pytest import LLMPlugin

from ._cookies import header_of


class SessionTools(LLMPlugin):
    name = "session"

    def __init__(self):
        super().__init__()
        self.sessions = {"alice": {"token": "t-1"}}

    async def login(self, user: str) -> dict:
        session = self.sessions[user]
        return {"user": user, "cookies": session["cookies"]}

    def header(self, user: str) -> dict:
        return {"cookie": header_of(self.sessions[user])}

    async def fail_quietly(self) -> dict:
        raise RuntimeError()
"""

COOKIES = """\
def header_of(session):
    return "; ".join(_pairs(session["jar"]))


def _pairs(jar):
    return [f"{k}={v}" for k, v in jar.items()]
"""


def spec(tool: str, args: str = "{}") -> str:
    return f"""\
        test:
          name: "Located"
        steps:
          - name: "Call it"
            tool: {tool}
            args: {args}
        """


@pytest.fixture
def plugins(pytester: pytest.Pytester) -> pytest.Pytester:
    write(pytester, "tests/llm/plugins/session_tools.py", SESSION_TOOLS)
    write(pytester, "tests/llm/plugins/_cookies.py", COOKIES)
    return pytester


def test_a_key_error_in_a_method_shows_the_plugin_file_line_and_source(
    plugins: pytest.Pytester,
) -> None:
    write(plugins, "tests/llm/test_login.yaml", spec("session_login", "{user: alice}"))
    result = run(plugins, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  step `Call it` (session_login) at tests/llm/test_login.yaml:4:5",
            "    error:  KeyError: 'cookies' (at tests/llm/plugins/session_tools.py:15 in login)",
            '      | return {"user": user, "cookies": session["cookies"]}',
        ]
    )
    assert "llm_pytest" not in result.stdout.str()


def test_an_error_two_calls_deep_in_a_helper_file_names_the_innermost_user_frame(
    plugins: pytest.Pytester,
) -> None:
    write(plugins, "tests/llm/test_header.yaml", spec("session_header", "{user: alice}"))
    result = run(plugins, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "    error:  KeyError: 'jar' (at tests/llm/plugins/_cookies.py:2 in header_of)",
            '      | return "; ".join(_pairs(session["jar"]))',
        ]
    )


def test_an_exception_without_a_message_still_shows_its_class_and_where(
    plugins: pytest.Pytester,
) -> None:
    write(plugins, "tests/llm/test_quiet.yaml", spec("session_fail_quietly"))
    result = run(plugins, "--llm")
    result.stdout.fnmatch_lines(
        [
            "    error:  RuntimeError (at tests/llm/plugins/session_tools.py:21 in fail_quietly)",
            "      | raise RuntimeError()",
        ]
    )


def test_llm_traceback_shows_every_frame_of_the_exception(plugins: pytest.Pytester) -> None:
    write(plugins, "tests/llm/test_header.yaml", spec("session_header", "{user: alice}"))
    result = run(plugins, "--llm", "--llm-traceback")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "    error:  KeyError: 'jar' (at tests/llm/plugins/_cookies.py:2 in header_of)",
            "    traceback (most recent call last):",
            "      *llm_pytest*loader.py:* in call_blocking",
            "      tests/llm/plugins/session_tools.py:18 in header",
            '        | return {"cookie": header_of(self.sessions[user])}',
            "      tests/llm/plugins/_cookies.py:2 in header_of",
            '        | return "; ".join(_pairs(session["jar"]))',
        ]
    )


def test_the_trace_records_where_the_exception_was_raised(plugins: pytest.Pytester) -> None:
    write(plugins, "tests/llm/test_login.yaml", spec("session_login", "{user: alice}"))
    run(plugins, "--llm", "--llm-report-dir", "out").assert_outcomes(failed=1)
    (line,) = (plugins.path / "out" / "per_trace.jsonl").read_text().splitlines()
    (record,) = json.loads(line)["steps"]
    assert record["raised"]["at"] == {
        "path": "tests/llm/plugins/session_tools.py",
        "line": 15,
        "function": "login",
        "code": 'return {"user": user, "cookies": session["cookies"]}',
        "user": True,
    }
    assert [f["function"] for f in record["raised"]["frames"] if f["user"]] == ["login"]
