"""The MCP protocol through specs run for real: a test server over stdio, `call` read by checks."""

from __future__ import annotations

from typing import Any

import pytest

from llm_pytest.api import arun_spec
from llm_pytest.model.trace import RunTrace, StepRecord
from tests.spec_support import WriteSpec

from .support import PROTOCOL_SERVER

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
