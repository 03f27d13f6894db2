"""Cost of calling a stdio MCP server's tool through llm-pytest, against the SDK's own client.

    python bench/mcp_steps.py [--calls 1000] [--rounds 10]

Three paths call the `count` tool of the example notes server (one server process per path,
all started in this run, before any timing):

- raw: a loop of ``mcp.Client.call_tool`` (the reference);
- bridge: a loop of the registry tool the bridge makes of it (``Tool.func``);
- interpreter: a spec whose repeat block calls ``notes_count``, run by the interpreter
  (``run_plan``: argument rendering, schema validation, timeouts, trace records, outcome).

The paths take turns in rounds so drift on the machine hits them alike. In each round a path
makes ``calls / rounds`` calls (the interpreter: one run of a spec repeating that many steps,
so run set-up and outcome are spread over its steps); its time per call in that round is the
round's time over its calls. Printed: the median over rounds of each path's time per call, and
each path's ratio to raw. Target: <= 1.2 for every path.

To compare another path, add an entry to the mapping that `paths()` yields: a name and an async
callable making ``n`` calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cache
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.interpreter.runner import RunSettings, run_plan
from llm_pytest.model.plan import Plan
from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import StdioServerConfig
from llm_pytest.tools.registry import ToolContext, ToolRegistry

NOTES_SERVER = Path(__file__).resolve().parents[1] / "spec-examples" / "servers" / "notes_server.py"
TARGET = 1.2
Calls = Callable[[int], Awaitable[None]]

SPEC = """\
test: {{name: "{n} steps calling a tool of a stdio MCP server"}}
steps:
  - repeat: {n}
    steps:
      - tool: notes_count
"""


@cache
def steps_plan(n: int) -> Plan:
    """A plan of ``n`` steps calling ``notes_count`` (the server is the path's own)."""
    [plan] = compile_text(SPEC.format(n=n), "bench/notes_steps.yaml")
    return plan


@asynccontextmanager
async def paths() -> AsyncIterator[dict[str, Calls]]:
    """The measured paths, by name; the first is the reference."""
    async with AsyncExitStack() as stack:
        params = StdioServerParameters(command=sys.executable, args=[str(NOTES_SERVER)])
        raw = await stack.enter_async_context(Client(params, mode="legacy"))
        config = StdioServerConfig("notes", sys.executable, (str(NOTES_SERVER),))
        bridged = await stack.enter_async_context(McpConnections([config]))
        tool = ToolRegistry(bridged.tools()).get("notes_count")
        ctx = ToolContext(env=dict(os.environ))
        served = await stack.enter_async_context(McpConnections([config]))
        settings = RunSettings(ToolRegistry(served.tools()), env=dict(os.environ))

        async def raw_calls(n: int) -> None:
            for _ in range(n):
                await raw.call_tool("count", {})

        async def bridge_calls(n: int) -> None:
            for _ in range(n):
                await tool.func(ctx, {})

        async def interpreter_calls(n: int) -> None:
            [trace] = await run_plan(steps_plan(n), settings)
            if trace.outcome != "PASS":
                raise RuntimeError(f"the benchmark spec did not pass: {trace.reason}")

        yield {
            "raw mcp.Client.call_tool": raw_calls,
            "bridge Tool.func": bridge_calls,
            "interpreter run_plan steps": interpreter_calls,
        }


async def per_call(calls: Calls, n: int) -> float:
    """Seconds per call when making ``n`` calls."""
    start = time.perf_counter()
    await calls(n)
    return (time.perf_counter() - start) / n


async def main(calls: int, rounds: int) -> int:
    per_round = max(1, calls // rounds)
    async with paths() as measured:
        for make in measured.values():
            await per_call(make, 50)  # warm-up: imports, caches, first validators
        samples: dict[str, list[float]] = {name: [] for name in measured}
        for _ in range(rounds):
            for name, make in measured.items():
                samples[name].append(await per_call(make, per_round))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    reference, *others = medians
    total = per_round * rounds
    print(f"{total} calls per path ({rounds} rounds of {per_round}), notes `count` over stdio")
    width = max(len(name) for name in medians)
    for name, median in medians.items():
        print(f"  {name:<{width}}  median {median * 1e3:.3f} ms/call")
    worst = 0.0
    for name in others:
        ratio = medians[name] / medians[reference]
        worst = max(worst, ratio)
        print(f"ratio {name} / {reference}: {ratio:.3f} (target <= {TARGET})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args()
    sys.exit(anyio.run(main, options.calls, options.rounds))
