"""The MCP protocol over streamable HTTP: the test server started on 127.0.0.1, a spec run for
real reading progress, logs, sampling requests and the protocol tools."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from llm_pytest.api import arun_spec
from tests.spec_support import WriteSpec

from .support import PROTOCOL_SERVER, http_server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def http_url() -> AsyncIterator[str]:
    async with http_server(PROTOCOL_SERVER) as url:
        yield url


async def test_progress_logs_sampling_and_protocol_tools_work_over_http(
    write_spec: WriteSpec, http_url: str
) -> None:
    text = f"""test: {{name: over http}}
mcp_servers:
  remote:
    url: "{http_url}"
    sampling: Paris
steps:
  - tool: remote.work
    args: {{steps: 2}}
    check:
      - len(call.progress) == 2
      - "[log.level for log in call.logs] == ['info', 'warning']"
  - tool: remote.ask_llm
    args: {{question: "Capital of France?"}}
    check:
      - 'result == "the model said: Paris"'
      - call.requests[0].method == "sampling/createMessage"
  - tool: mcp_server_info
    args: {{server: remote}}
    check: result.name == "protocol" and result.capabilities.resources != null
  - tool: mcp_read_resource
    args: {{server: remote, uri: "notes://readme"}}
    check: call.text == "read me first"
"""
    (trace,) = (await arun_spec(write_spec(text), plugin_dirs=[])).runs
    assert trace.outcome == "PASS", trace.reason
