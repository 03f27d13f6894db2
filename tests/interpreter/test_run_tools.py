"""Built-in tools inside real runs: `http_request` against a server on 127.0.0.1 and
`run_command` with real subprocesses, results flowing into later steps and checks."""

from __future__ import annotations

import socket
import sys
import textwrap
from pathlib import Path

import pytest

from llm_pytest.api import arun_spec
from tests.spec_support import WriteSpec

PY = sys.executable


@pytest.mark.anyio
async def test_http_steps_send_interpolated_requests_and_check_the_responses(
    write_spec: WriteSpec, http_server: str
) -> None:
    path = write_spec(
        f"""
        test: {{name: http}}
        vars: {{base: "{http_server}"}}
        steps:
          - name: create
            tool: http_request
            args:
              method: POST
              url: "${{vars.base}}/users"
              headers: {{x-trace: "run-${{iteration}}"}}
              json: {{name: Alice, tags: [a, b]}}
            save_as: created
            check:
              - result.status == 200
              - result.json.body.name == "Alice"
              - result.json.headers["x-trace"] == "run-1"
          - name: fetch by the saved path
            tool: http_request
            args:
              method: GET
              url: "${{vars.base}}${{created.json.path}}/1"
              params: {{verbose: true}}
            check: ['result.json.path == "/users/1?verbose=true"']
          - name: a 404 is a result, not a failure
            tool: http_request
            args: {{method: DELETE, url: "${{vars.base}}/status/404"}}
            check: [result.status == 404]
          - name: text bodies come back as text
            tool: http_request
            args: {{method: GET, url: "${{vars.base}}/text"}}
            check: ['result.text == "plain words"', "result.elapsed_ms > 0"]
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    create = trace.steps[0]
    assert create.args["url"] == f"{http_server}/users"
    assert create.result["json"]["method"] == "POST"
    assert create.result["json"]["body"] == {"name": "Alice", "tags": ["a", "b"]}


@pytest.mark.anyio
async def test_a_refused_connection_fails_the_step_with_the_url(write_spec: WriteSpec) -> None:
    # A port that was just free: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = write_spec(
        f"""
        test: {{name: refused}}
        steps:
          - tool: http_request
            args: {{method: GET, url: "http://127.0.0.1:{port}/"}}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "FAIL"
    assert trace.steps[0].error == (
        f"connection refused to http://127.0.0.1:{port}/ — is the server running?"
    )


@pytest.mark.anyio
async def test_commands_run_as_real_processes_with_their_output_in_the_result(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        f"""
        test: {{name: commands}}
        steps:
          - tool: run_command
            args:
              argv: ["{PY}", -c, "import sys, os; print(sys.stdin.read().upper() + os.environ['WHO']); sys.exit(3)"]
              stdin: "hello "
              env: {{WHO: "${{experiment ?? 'world'}}"}}
            save_as: shout
            check: [result.exit_code == 3, 'result.stdout == "HELLO world\\n"']
          - tool: run_command
            args: {{argv: ["{PY}", -c, "print(${{len(shout.stdout)}} * 2)"]}}
            check: ['result.stdout == "24\\n"']
        """  # noqa: E501
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason
    assert trace.steps[0].result["stderr"] == ""
    assert trace.steps[0].result["duration_ms"] > 0


@pytest.mark.anyio
async def test_a_missing_executable_fails_the_step_with_advice(write_spec: WriteSpec) -> None:
    path = write_spec(
        """
        test: {name: missing}
        steps:
          - tool: run_command
            args: {argv: [no-such-program-xyz]}
        """
    )
    (trace,) = (await arun_spec(path)).runs
    assert trace.steps[0].error == (
        "executable not found: no-such-program-xyz (check the name, or give its full path; "
        "it is looked up on the PATH of `env`)"
    )


@pytest.mark.anyio
async def test_read_file_paths_are_relative_to_the_spec(write_spec: WriteSpec) -> None:
    path = write_spec(
        """
        test: {name: files}
        steps:
          - tool: read_file
            args: {path: data/notes.txt}
            check: ['result.content == "remember"', "result.size == 8"]
        """
    )
    (path.parent / "data").mkdir()
    (path.parent / "data" / "notes.txt").write_text("remember")
    (trace,) = (await arun_spec(path)).runs
    assert trace.outcome == "PASS", trace.reason


@pytest.mark.anyio
async def test_a_spec_beside_the_default_plugin_folder_loads_those_plugins_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests/llm/plugins is both the default folder and the spec's own plugins/ folder here.
    spec_dir = tmp_path / "tests" / "llm"
    (spec_dir / "plugins").mkdir(parents=True)
    (spec_dir / "plugins" / "greeter.py").write_text(
        textwrap.dedent(
            """
            from llm_pytest import LLMPlugin

            class Greeter(LLMPlugin):
                name = "greeter"

                def hello(self) -> str:
                    \"\"\"Say hello.\"\"\"
                    return "hi"
            """
        )
    )
    spec = spec_dir / "test_greet.yaml"
    spec.write_text(
        "test: {name: greet}\nsteps:\n  - tool: greeter_hello\n    check: [\"result == 'hi'\"]\n"
    )
    monkeypatch.chdir(tmp_path)
    (trace,) = (await arun_spec(spec)).runs
    assert trace.outcome == "PASS", trace.reason
