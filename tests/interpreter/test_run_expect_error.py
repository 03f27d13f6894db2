"""`call` in checks and `expect_error` on steps (docs/language.md §12), through real specs, a real
loopback HTTP server and a real plugin."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from llm_pytest.api import arun_spec
from llm_pytest.dsl.compiler import compile_file
from llm_pytest.interpreter.runner import RunSettings, run_plan
from llm_pytest.model.trace import RunTrace, StepRecord
from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.registry import ToolRegistry
from tests.spec_support import LoadPlugins, WriteSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "spec-examples"

SESSIONS = {
    "sessions.py": """
        from llm_pytest import LLMPlugin

        class Sessions(LLMPlugin):
            name = "sessions"

            async def cookie(self, name: str) -> str:
                return {"sid": "abc"}[name]

            async def whoami(self) -> dict:
                return {"user": "alice", "roles": ["admin"]}
    """
}


def step(trace: RunTrace, step_id: str) -> StepRecord:
    return next(s for s in trace.steps if s.id == step_id)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_checks_read_the_call_details_beside_the_result(
    write_spec: WriteSpec, http_server: str
) -> None:
    path = write_spec(
        f"""
        test: {{name: call details}}
        steps:
          - tool: http_request
            args: {{method: GET, url: "{http_server}/text"}}
            check:
              - result.status == 200
              - call.error == null and call.error_type == null
              - call.attempts == 1
              - call.duration_ms >= 0
              - "call.text matches 'plain words'"
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    assert len(step(trace, "steps[0]").checks) == 5


@pytest.mark.anyio
async def test_a_plugin_result_reads_as_its_raw_text_in_call_text(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(SESSIONS)
    path = write_spec(
        """
        test: {name: raw text}
        steps:
          - tool: sessions_cookie
            args: {name: sid}
            check: call.text == "abc"
          - tool: sessions_whoami
            check: 'call.text == "{\\"user\\": \\"alice\\", \\"roles\\": [\\"admin\\"]}"'
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "PASS", trace.reason


@pytest.mark.anyio
async def test_an_expected_error_passes_the_step_and_its_checks_read_call(
    write_spec: WriteSpec, closed_port: int
) -> None:
    path = write_spec(
        f"""
        test: {{name: refused}}
        steps:
          - tool: http_request
            args: {{method: GET, url: "http://127.0.0.1:{closed_port}/"}}
            expect_error: "connection refused"
            check:
              - result == null
              - call.error matches "is the server running"
              - call.error_type == "ToolError"
              - call.text == null
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    refused = step(trace, "steps[0]")
    assert (refused.status, refused.error) == ("passed", None)
    assert refused.expect_error == "matching `connection refused`"
    assert refused.attempts[-1].error is not None
    assert refused.attempts[-1].error.startswith("connection refused to http://127.0.0.1:")


@pytest.mark.anyio
async def test_a_call_that_succeeds_fails_a_step_expecting_an_error_and_names_the_pattern(
    write_spec: WriteSpec, http_server: str
) -> None:
    path = write_spec(
        f"""
        test: {{name: unexpectedly fine}}
        steps:
          - tool: http_request
            args: {{method: GET, url: "{http_server}/status/404"}}
            expect_error: "not found"
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert step(trace, "steps[0]").error == (
        "expected an error matching `not found`, but the call succeeded"
    )
    assert "expected an error matching `not found`" in trace.reason


@pytest.mark.anyio
async def test_a_plugin_error_of_a_subclass_satisfies_an_expected_base_type(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(SESSIONS)
    path = write_spec(
        """
        test: {name: missing cookie}
        steps:
          - tool: sessions_cookie
            args: {name: csrf}
            expect_error: {matches: "csrf", type: LookupError}
            check: call.error_type == "KeyError"
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "PASS", trace.reason


@pytest.mark.anyio
async def test_an_error_that_does_not_match_fails_saying_what_was_expected_and_what_came(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(SESSIONS)
    path = write_spec(
        """
        test: {name: wrong error}
        steps:
          - tool: sessions_cookie
            args: {name: csrf}
            expect_error: {matches: "csrf", type: PermissionError}
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "FAIL"
    plugin = path.parent / "plugins" / "sessions.py"
    assert step(trace, "steps[0]").error == (
        "expected an error matching `csrf` of type PermissionError, got: KeyError: 'csrf' "
        f"(at {plugin}:7 in cookie)"
    )


@pytest.mark.anyio
async def test_save_as_after_an_expected_error_binds_the_call_details(
    write_spec: WriteSpec, closed_port: int
) -> None:
    path = write_spec(
        f"""
        test: {{name: keep the error}}
        steps:
          - tool: http_request
            args: {{method: GET, url: "http://127.0.0.1:{closed_port}/"}}
            expect_error: refused
            save_as: refusal
          - tool: store_value
            args: {{name: why, value: "${{refusal.error_type}} after ${{refusal.attempts}}"}}
            check: result.value == "ToolError after 1"
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason


@pytest.mark.anyio
async def test_retries_go_on_until_the_expected_error_comes(
    write_spec: WriteSpec, load_plugins: LoadPlugins
) -> None:
    registry, _ = load_plugins(
        {
            "quota.py": """
                from llm_pytest import LLMPlugin

                class Quota(LLMPlugin):
                    name = "quota"

                    def __init__(self):
                        super().__init__()
                        self.used = 0

                    async def take(self) -> dict:
                        self.used += 1
                        if self.used > 2:
                            raise RuntimeError("quota exceeded")
                        return {"used": self.used}
            """
        }
    )
    path = write_spec(
        """
        test: {name: exhaust}
        steps:
          - tool: quota_take
            expect_error: quota exceeded
            retry: 5
            retry_delay: 0
            check: call.attempts == 3
        """
    )
    (trace,) = (await arun_spec(path, registry=registry)).runs
    assert trace.outcome == "PASS", trace.reason
    assert [a.ok for a in step(trace, "steps[0]").attempts] == [True, True, False]


@pytest.mark.anyio
async def test_an_unknown_tool_fails_the_run_despite_continue_on_error_and_expect_error(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: a server's tool that is not there}
        steps:
          - tool: notes_add
            args: {text: a}
            expect_error: "."
            continue_on_error: true
        """
    )
    (plan,) = compile_file(path)
    (trace,) = await run_plan(plan, RunSettings(ToolRegistry(builtin_tools())))
    assert trace.outcome == "FAIL"
    assert (step(trace, "steps[0]").error or "").startswith("unknown tool `notes_add`")


@pytest.mark.anyio
async def test_arguments_not_matching_the_schema_fail_the_run_despite_continue_on_error(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: bad args}
        steps:
          - tool: store_value
            args: {name: 7, value: 1}
            continue_on_error: true
          - tool: store_value
            args: {name: b, value: 1}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert [s.status for s in trace.steps] == ["failed", "not_run"]
    error = step(trace, "steps[0]").error or ""
    assert error.startswith("arguments of `store_value` at ")


@pytest.mark.anyio
async def test_the_spec_example_reads_an_mcp_servers_error_and_its_raw_text() -> None:
    example = EXAMPLES / "valid" / "test_feature_expected_errors.yaml"
    (trace,) = (await arun_spec(example, plugin_dirs=[])).runs
    assert trace.outcome == "PASS", trace.reason
    assert [s.status for s in trace.steps] == ["passed", "passed", "passed"]
    refusal = step(trace, "steps[0]")
    assert refusal.attempts[-1].error == (
        "Error executing tool get_note: no note with id 99 (known ids: none)"
    )
    # the server's own text (indented JSON), not the structured content encoded again
    ((name, shown),) = step(trace, "steps[2]").checks[1].values
    assert name == "call.text" and '\\n  \\"title\\": \\"groceries\\"' in shown
