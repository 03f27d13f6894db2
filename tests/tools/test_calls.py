"""The one call path: a call's own context and deadline, and how a timeout is explained."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from llm_pytest.errors import ToolError
from llm_pytest.tools.calls import call_tool
from llm_pytest.tools.registry import Tool, ToolContext

pytestmark = pytest.mark.anyio

OBJECT = {"type": "object"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def stall(ctx: ToolContext, args: dict[str, Any]) -> None:
    ctx.progress = f"waiting for {args['what']}"
    await anyio.sleep_forever()


def explain(call: ToolContext) -> ToolError:
    return ToolError(f"still {call.progress} after {call.timeout:g}s", hint="look at it")


async def test_a_timeout_is_explained_by_the_tool_with_what_the_call_kept() -> None:
    tool = Tool("stall", "", OBJECT, stall, explain_timeout=explain)
    outcome = await call_tool(tool, ToolContext(env={}), {"what": "the lock"}, 0.2)
    assert not outcome.ok
    assert outcome.error == "still waiting for the lock after 0.2s (look at it)"
    assert isinstance(outcome.failure, ToolError)
    assert outcome.failure.hint == "look at it"


async def test_an_explanation_that_fails_still_reports_the_timeout() -> None:
    def broken(call: ToolContext) -> ToolError:
        raise RuntimeError("no log")

    tool = Tool("stall", "", OBJECT, stall, explain_timeout=broken)
    outcome = await call_tool(tool, ToolContext(env={}), {"what": "x"}, 0.2)
    assert outcome.error == "timed out after 0.2s\n(no more detail: RuntimeError: no log)"


async def test_a_call_sees_its_own_time_limit_and_leaves_the_runs_context_as_it_was() -> None:
    async def report(ctx: ToolContext, args: dict[str, Any]) -> Any:
        ctx.stored["seen"] = ctx.timeout
        ctx.progress = "busy"
        return ctx.timeout

    run = ToolContext(env={})
    outcome = await call_tool(Tool("report", "", OBJECT, report), run, {}, 7)
    assert outcome.result == 7
    assert run.stored == {"seen": 7}  # the run's state is shared with the call
    assert (run.timeout, run.progress) == (None, None)
