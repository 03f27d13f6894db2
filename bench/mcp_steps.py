"""Cost of calling a stdio MCP server's tool through llm-pytest, against the SDK's own client.

    python bench/mcp_steps.py [--calls 1000] [--rounds 10]

Each path calls the `count` tool of the example notes server (one server process per path, all
started in this run). The paths take turns in rounds so drift on the machine hits them alike;
every call is timed on its own and the median per call is compared. Target: bridge / raw <= 1.2.

To compare another path, add an entry to the mapping that `paths()` returns: a name and an
async callable doing one call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from llm_pytest.bridge.client import McpConnections
from llm_pytest.bridge.config import StdioServerConfig
from llm_pytest.interpreter.tools import ToolContext, ToolRegistry

NOTES_SERVER = Path(__file__).resolve().parents[1] / "spec-examples" / "servers" / "notes_server.py"
TARGET = 1.2
OneCall = Callable[[], Awaitable[Any]]


@asynccontextmanager
async def paths() -> AsyncIterator[dict[str, OneCall]]:
    """The measured paths, by name; the first is the reference."""
    async with AsyncExitStack() as stack:
        params = StdioServerParameters(command=sys.executable, args=[str(NOTES_SERVER)])
        raw = await stack.enter_async_context(Client(params, mode="legacy"))
        config = StdioServerConfig("notes", sys.executable, (str(NOTES_SERVER),))
        connections = await stack.enter_async_context(McpConnections([config]))
        tool = ToolRegistry(connections.tools()).get("notes_count")
        ctx = ToolContext(env=dict(os.environ))

        async def raw_call() -> Any:
            return await raw.call_tool("count", {})

        async def bridge_call() -> Any:
            return await tool.func(ctx, {})

        yield {"raw mcp.Client.call_tool": raw_call, "bridge Tool.func": bridge_call}


async def timed(call: OneCall, n: int) -> list[float]:
    """Seconds taken by each of ``n`` calls."""
    out: list[float] = []
    clock = time.perf_counter
    for _ in range(n):
        start = clock()
        await call()
        out.append(clock() - start)
    return out


async def main(calls: int, rounds: int) -> int:
    per_round = max(1, calls // rounds)
    async with paths() as measured:
        for call in measured.values():
            await timed(call, 50)  # warm-up: imports, caches, first validators
        samples: dict[str, list[float]] = {name: [] for name in measured}
        for _ in range(rounds):
            for name, call in measured.items():
                samples[name].extend(await timed(call, per_round))
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
