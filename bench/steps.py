"""Cost of the interpreter per step, measured in one run of this script.

    python bench/steps.py [--steps 10000] [--requests 1000] [--rounds 7]

1. µs per step of a `repeat` block of `store_value` steps, each with one `${...}` interpolation
   (the whole runner path: when, interpolation, argument check, timeout scope, trace record).
2. `http_request` steps against a loopback HTTP server (a separate process, so it shares neither
   our event loop nor our GIL) versus a raw `httpx.AsyncClient` loop sending the same requests.
   The two take turns in rounds; the medians per request are compared. Target: ratio <= 1.3.
3. Peak RSS of a child process that runs a 10,000-step spec whose every step carries a 5 KB
   value (an unbounded trace would keep 10,000 of them). Target: < 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.interpreter.runner import RunSettings, run_plan
from llm_pytest.runtime.tools import build_registry

HTTP_TARGET = 1.3
RSS_TARGET_MB = 200.0
PAYLOAD_CHARS = 5000

SERVER = r"""
import asyncio, sys

BODY = b'{"ok": true, "items": [1, 2, 3]}'
HEAD = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
        + str(len(BODY)).encode() + b"\r\n\r\n")

async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            writer.write(HEAD + BODY)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def store_value_spec(steps: int, payload: str = "") -> str:
    return f"""
test:
  name: store values
steps:
  - repeat: {steps}
    as: i
    steps:
      - tool: store_value
        args: {{name: counter, value: "value ${{i}}{payload}"}}
"""


def http_spec(requests: int, url: str) -> str:
    return f"""
test:
  name: http requests
steps:
  - repeat: {requests}
    steps:
      - tool: http_request
        args: {{method: GET, url: "{url}"}}
"""


async def run_spec_text(text: str, settings: RunSettings) -> float:
    """Seconds taken by the runs of the spec ``text`` (compiled beforehand)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_bench.yaml"
        path.write_text(text)
        (plan,) = compile_text(text, str(path))
        started = time.perf_counter()
        (trace,) = await run_plan(plan, settings)
        elapsed = time.perf_counter() - started
    if trace.outcome != "PASS":
        raise SystemExit(f"benchmark spec did not pass: {trace.reason}")
    return elapsed


async def bench_store_value(steps: int, settings: RunSettings, rounds: int) -> float:
    text = store_value_spec(steps)
    times = [await run_spec_text(text, settings) for _ in range(rounds)]
    return statistics.median(times) / steps * 1e6


async def raw_http(url: str, requests: int) -> float:
    async with httpx.AsyncClient(timeout=None) as client:
        started = time.perf_counter()
        for _ in range(requests):
            response = await client.request("GET", url)
            response.json()
        return time.perf_counter() - started


async def bench_http(
    url: str, requests: int, rounds: int, settings: RunSettings
) -> tuple[float, float]:
    text = http_spec(requests, url)
    await raw_http(url, 100)  # warm both paths: imports, the first connection
    await run_spec_text(http_spec(100, url), settings)
    ours: list[float] = []
    raw: list[float] = []
    for _ in range(rounds):
        raw.append(await raw_http(url, requests))
        ours.append(await run_spec_text(text, settings))
    return statistics.median(ours) / requests * 1e6, statistics.median(raw) / requests * 1e6


def child_rss(steps: int) -> None:
    """In the child: run the big spec and report how many steps the trace kept in detail."""
    settings = RunSettings(build_registry([]))
    text = store_value_spec(steps, "x" * PAYLOAD_CHARS)

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "test_big.yaml"
            path.write_text(text)
            (plan,) = compile_text(text, str(path))
            (trace,) = await run_plan(plan, settings)
        print(f"{trace.outcome} {len(trace.steps)} {trace.elided_steps}")

    anyio.run(main)


def peak_rss_mb(steps: int) -> tuple[float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(steps)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far, in KiB on Linux.
    return max(after, before) / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.rss_child:
        child_rss(opts.rss_child)
        return
    settings = RunSettings(build_registry([]))

    async def measure(url: str) -> tuple[float, float, float]:
        per_step = await bench_store_value(opts.steps, settings, 3)
        ours, raw = await bench_http(url, opts.requests, opts.rounds, settings)
        return per_step, ours, raw

    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/items"
        per_step, ours, raw = asyncio.run(measure(url))
    finally:
        server.terminate()
        server.wait()
    rss, child = peak_rss_mb(opts.steps)
    ratio = ours / raw
    outcome, kept, elided = child.split()
    print(
        f"store_value, repeat block of {opts.steps} steps, one ${{...}} each: "
        f"{per_step:.1f} µs/step"
    )
    print(
        f"http_request, {opts.requests} requests x {opts.rounds} rounds (medians): "
        f"runner {ours:.1f} µs/request, raw httpx {raw:.1f} µs/request, "
        f"ratio {ratio:.2f} (target <= {HTTP_TARGET}) {'OK' if ratio <= HTTP_TARGET else 'MISS'}"
    )
    print(
        f"peak RSS of a {opts.steps}-step run with {PAYLOAD_CHARS}-character values: "
        f"{rss:.1f} MB (target < {RSS_TARGET_MB:g}) {'OK' if rss < RSS_TARGET_MB else 'MISS'}; "
        f"{outcome}, {kept} step records kept in detail, {elided} counted only"
    )


if __name__ == "__main__":
    main()
