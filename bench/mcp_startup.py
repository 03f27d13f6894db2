"""What a fresh MCP server per run costs: an item of the example notes server run with
``scope: run`` (a server per run) and ``scope: item`` (one server shared by its runs).

    python bench/mcp_startup.py [--iterations 3] [--concurrency 1]

Printed for each scope: the item's wall time, and the median server start-up time the traces
record (``mcp_startup_ms``). The start-up time is the price of fresh state, paid once per run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import anyio

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.interpreter.runner import RunSettings, run_plan
from llm_pytest.tools.registry import ToolRegistry

NOTES_SERVER = Path(__file__).resolve().parents[1] / "spec-examples" / "servers" / "notes_server.py"

SPEC = """\
test: {{name: "{scope}", iterations: {iterations}}}
mcp_servers:
  notes: {{command: python, args: ["{server}"], scope: {scope}}}
steps:
  - tool: notes_add_note
    args: {{title: t, body: b}}
  - tool: notes_count
"""


async def measure(scope: str, iterations: int, concurrency: int) -> tuple[float, list[float]]:
    """The item's wall time (ms) and the start-up times its traces record."""
    text = SPEC.format(scope=scope, iterations=iterations, server=NOTES_SERVER)
    [plan] = compile_text(text, str(Path.cwd() / "bench_mcp_startup.yaml"))
    settings = RunSettings(ToolRegistry([]), concurrency=concurrency)
    start = time.perf_counter()
    traces = await run_plan(plan, settings)
    wall = (time.perf_counter() - start) * 1000
    assert all(t.outcome == "PASS" for t in traces), [t.reason for t in traces]
    return wall, [ms for t in traces for ms in t.mcp_startup_ms.values()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    options = parser.parse_args()
    for scope in ("run", "item"):
        wall, startups = anyio.run(measure, scope, options.iterations, options.concurrency)
        print(
            f"scope {scope:<4}: {options.iterations} runs in {wall:.0f} ms; "
            f"{len(startups)} server start(s), median {statistics.median(startups):.0f} ms"
        )


if __name__ == "__main__":
    main()
