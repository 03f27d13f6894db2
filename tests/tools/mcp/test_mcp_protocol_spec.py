"""The MCP protocol through specs run for real: a test server over stdio, `call` read by checks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from llm_pytest.api import arun_spec
from llm_pytest.model.trace import RunTrace, StepRecord
from tests.spec_support import WriteSpec

from .support import PROTOCOL_SERVER, SCRIPTED_SERVER

pytestmark = pytest.mark.anyio

SERVER = f"""
mcp_servers:
  proto:
    command: python
    args: ["{PROTOCOL_SERVER}"]
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def spec(body: str, **server: Any) -> str:
    """A spec with the test server `proto` (extra keys of its declaration as YAML flow)."""
    extra = "".join(f"    {key}: {value}\n" for key, value in server.items())
    return f"test: {{name: protocol}}\n{SERVER}{extra}{body}"


def step(trace: RunTrace, step_id: str) -> StepRecord:
    return next(s for s in trace.steps if s.id == step_id)


async def run(write_spec: WriteSpec, text: str) -> RunTrace:
    (trace,) = (await arun_spec(write_spec(text), plugin_dirs=[])).runs
    return trace


async def test_arguments_are_checked_against_the_schema_before_sending_by_default(
    write_spec: WriteSpec,
) -> None:
    trace = await run(
        write_spec,
        spec("steps:\n  - tool: proto.count\n    args: {n: 99}\n"),
    )
    assert trace.outcome == "FAIL"
    assert "do not match its schema" in (step(trace, "steps[0]").error or "")


async def test_validate_args_false_sends_the_arguments_so_the_server_refuses_them_itself(
    write_spec: WriteSpec,
) -> None:
    body = """steps:
  - tool: proto.count
    args: {n: 99}
    expect_error: "less than or equal to 10"
  - tool: proto.count
    args: {n: "three"}
    expect_error: "valid integer"
"""
    trace = await run(write_spec, spec(body, validate_args="false"))
    assert trace.outcome == "PASS", trace.reason


async def test_the_protocol_tools_list_and_read_what_the_server_offers(
    write_spec: WriteSpec,
) -> None:
    body = """steps:
  - tool: mcp_list_tools
    args: {server: proto}
    check:
      - "'gallery' in [t.name for t in result.tools]"
      - "[t for t in result.tools if t.name == 'count'][0].input_schema.properties.n.maximum == 10"
  - tool: mcp_list_resources
    args: {server: proto}
    check: "[r.uri for r in result.resources] == ['notes://readme', 'notes://logo']"
  - tool: mcp_list_resource_templates
    args: {server: proto}
    check: "result.resource_templates[0].uri_template == 'notes://note/{note_id}'"
  - tool: mcp_read_resource
    args: {server: proto, uri: "notes://readme"}
    check:
      - result.contents[0].text == "read me first"
      - result.contents[0].mime_type == "text/plain"
      - call.text == "read me first"
  - tool: mcp_read_resource
    args: {server: proto, uri: "notes://note/7"}
    check: result.contents[0].text == "note 7"
  - tool: mcp_read_resource
    args: {server: proto, uri: "notes://logo"}
    check: result.contents[0].size == 16 and result.contents[0].blob != null
  - tool: mcp_list_prompts
    args: {server: proto}
    check: "[a.name for a in result.prompts[0].arguments] == ['topic', 'style']"
  - tool: mcp_get_prompt
    args: {server: proto, name: summarize, arguments: {topic: tides}}
    check:
      - result.messages[0].role == "user"
      - result.messages[0].content.text == "Summarize tides in a short way."
  - tool: mcp_complete
    args:
      server: proto
      ref: {type: prompt, name: summarize}
      argument: {name: style, value: sh}
    check: result.values == ["short", "shouty"]
  - tool: mcp_complete
    args:
      server: proto
      ref: {type: resource, uri: "notes://note/{note_id}"}
      argument: {name: note_id, value: gr}
    check: result.values == ["green", "grey"]
  - tool: mcp_server_info
    args: {server: proto}
    check:
      - result.name == "protocol"
      - result.version == "1.2.3"
      - result.protocol_version != null
      - result.capabilities.tools != null
      - result.instructions == "Call `gallery` to see everything."
  - tool: mcp_set_log_level
    args: {server: proto, level: error}
    check: result.level == "error"
"""
    trace = await run(write_spec, spec(body))
    assert trace.outcome == "PASS", trace.reason


async def test_a_protocol_tool_naming_an_undeclared_server_fails_naming_the_declared_ones(
    write_spec: WriteSpec,
) -> None:
    body = "steps:\n  - tool: mcp_list_tools\n    args: {server: prot}\n"
    trace = await run(write_spec, spec(body))
    assert trace.outcome == "FAIL"
    error = step(trace, "steps[0]").error or ""
    assert "unknown MCP server `prot` (declared: `proto`)" in error
    assert "did you mean `proto`?" in error


async def test_a_protocol_tool_in_a_test_without_servers_says_none_are_declared(
    write_spec: WriteSpec,
) -> None:
    text = "test: {name: bare}\nsteps:\n  - tool: mcp_server_info\n    args: {server: git}\n"
    trace = await run(write_spec, text)
    assert trace.outcome == "FAIL"
    assert "this test declares no MCP servers" in (step(trace, "steps[0]").error or "")


# `a` is started for each run, or shared by the item's runs while `a_b` is per run: one naming.
@pytest.mark.parametrize("scope", ["run", "item"])
async def test_a_tool_name_two_servers_would_share_fails_listing_both_and_dots_tell_them_apart(
    write_spec: WriteSpec, scope: str
) -> None:
    text = f"""test: {{name: names}}
mcp_servers:
  a:
    command: python
    args: ["{PROTOCOL_SERVER}"]
    env: {{EXTRA_TOOL: b_c}}
    scope: {scope}
  a_b:
    command: python
    args: ["{PROTOCOL_SERVER}"]
    env: {{EXTRA_TOOL: c}}
steps:
  - tool: a.b_c
    check: result == "extra"
  - tool: a_b.c
    check: result == "extra"
  - tool: a_b_c
"""
    trace = await run(write_spec, text)
    assert [s.status for s in trace.steps] == ["passed", "passed", "failed"]
    error = step(trace, "steps[2]").error or ""
    assert "tool name `a_b_c` is ambiguous: `b_c` of server `a`, `c` of server `a_b`" in error
    assert "call `a.b_c` or `a_b.c`" in error


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one file not yet added."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "draft.txt").write_text("new\n")
    return repo


async def test_mcp_server_gits_tools_are_called_by_the_names_its_readme_gives(
    write_spec: WriteSpec, repo: Path
) -> None:
    text = f"""test: {{name: git}}
mcp_servers:
  git:
    command: python
    args: ["-m", "mcp_server_git", "--repository", "{repo}"]
steps:
  - tool: git_status
    args: {{repo_path: "{repo}"}}
    check: "'draft.txt' in call.text"
"""
    trace = await run(write_spec, text)
    assert trace.outcome == "PASS", trace.reason


async def test_progress_and_log_messages_of_a_call_are_read_in_call_and_shown_in_the_trace(
    write_spec: WriteSpec,
) -> None:
    body = """steps:
  - tool: proto.work
    args: {steps: 3}
    check:
      - result == "worked"
      - len(call.progress) == 3
      - 'call.progress[2] == {"progress": 3, "total": 3, "message": "step 3"}'
      - "[log.level for log in call.logs] == ['info', 'warning']"
      - call.logs[0].data == "starting"
      - 'call.logs[1] == {"level": "warning", "logger": "worker", "data": {"done": 3}}'
      - call.requests == []
  - tool: mcp_set_log_level
    args: {server: proto, level: error}
  - tool: proto.work
    args: {steps: 1}
    check: call.logs == [] and len(call.progress) == 1
"""
    lines: list[str] = []
    result = await arun_spec(write_spec(spec(body)), plugin_dirs=[], log=lines.append)
    (trace,) = result.runs
    assert trace.outcome == "PASS", trace.reason
    assert any(line.startswith("[tool note] MCP server sent progress x3") for line in lines)
    note = step(trace, "steps[0]").note or ""
    assert note.startswith("MCP server sent progress x3 (last 3/3 'step 3')")
    assert 'log warning worker: {"done": 3}' in note


async def test_undeclared_client_features_are_not_advertised(write_spec: WriteSpec) -> None:
    body = """steps:
  - tool: proto.client_can
    check: 'result == {"sampling": false, "elicitation": false, "roots": false}'
  - tool: proto.ask_llm
    args: {question: "Capital of France?"}
    expect_error: "Sampling not supported"
"""
    trace = await run(write_spec, spec(body))
    assert trace.outcome == "PASS", trace.reason


async def test_scripted_sampling_replies_in_order_and_the_requests_are_recorded(
    write_spec: WriteSpec,
) -> None:
    body = """steps:
  - tool: proto.client_can
    check: result.sampling and not result.elicitation
  - tool: proto.ask_llm
    args: {question: "Capital of France?"}
    check:
      - 'result == "the model said: Paris"'
      - call.requests[0].method == "sampling/createMessage"
      - call.requests[0].params.messages[0].content.text == "Capital of France?"
      - call.requests[0].params.max_tokens == 50
      - call.requests[0].response.content.text == "Paris"
  - tool: proto.ask_llm
    args: {question: "And of Italy?"}
    check: 'result == "the model said: Rome"'
  - tool: proto.ask_llm
    args: {question: "And of Spain?"}
    expect_error: "no scripted sampling reply left"
"""
    trace = await run(write_spec, spec(body, sampling="[Paris, Rome]"))
    assert trace.outcome == "PASS", trace.reason
    assert "request sampling/createMessage" in (step(trace, "steps[1]").note or "")


async def test_one_sampling_text_answers_every_request(write_spec: WriteSpec) -> None:
    body = """steps:
  - tool: proto.ask_llm
    args: {question: one}
    check: 'result == "the model said: yes"'
  - tool: proto.ask_llm
    args: {question: two}
    check: 'result == "the model said: yes"'
"""
    trace = await run(write_spec, spec(body, sampling="yes"))
    assert trace.outcome == "PASS", trace.reason


async def test_scripted_elicitation_answers_accept_decline_and_cancel_in_order(
    write_spec: WriteSpec,
) -> None:
    answers = (
        "[{action: accept, content: {email: ada@example.com, subscribe: true}}, decline, cancel]"
    )
    body = """steps:
  - tool: proto.sign_up
    check:
      - result == "signed up ada@example.com (subscribe=True)"
      - call.requests[0].method == "elicitation/create"
      - call.requests[0].params.message == "Your contact, please"
      - call.requests[0].response.action == "accept"
  - tool: proto.sign_up
    check: 'result == "no sign-up: decline"'
  - tool: proto.sign_up
    check: 'result == "no sign-up: cancel"'
"""
    trace = await run(write_spec, spec(body, elicitation=answers))
    assert trace.outcome == "PASS", trace.reason


async def test_declared_roots_are_listed_to_the_server_as_file_uris(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    body = f"""steps:
  - tool: proto.list_roots
    check:
      - 'result == ["{(tmp_path / "data").as_uri()}", "{tmp_path.as_uri()}"]'
      - call.requests[0].method == "roots/list"
"""
    trace = await run(write_spec, spec(body, roots="[data, .]"))
    assert trace.outcome == "PASS", trace.reason


async def test_a_tool_error_keeps_its_text_content_and_logs_in_call(write_spec: WriteSpec) -> None:
    body = """steps:
  - tool: proto.refuse
    expect_error: "not today"
    check:
      - 'call.text == "Error executing tool refuse: not today"'
      - call.content[0].type == "text"
      - call.logs[0].data == "refusing"
"""
    trace = await run(write_spec, spec(body))
    assert trace.outcome == "PASS", trace.reason


async def test_a_protocol_tool_of_a_server_that_failed_to_start_fails_with_its_message(
    write_spec: WriteSpec,
) -> None:
    text = f"""test: {{name: broken}}
mcp_servers:
  broken:
    command: python
    args: ["{SCRIPTED_SERVER}", exit]
steps:
  - tool: mcp_server_info
    args: {{server: broken}}
"""
    trace = await run(write_spec, text)
    assert trace.outcome == "FAIL"
    error = step(trace, "steps[0]").error or ""
    assert "MCP server `broken` exited with code 3 while starting" in error
