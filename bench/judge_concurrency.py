"""Judged runs of one item overlap: 10 iterations take about as long as one.

    python bench/judge_concurrency.py [--iterations 10] [--delay 0.5] [--rounds 3]

A spec with one step, an `expect` and a `verdict` runs through the Python API
(``llm_pytest.api.arun_spec``) with the ``openai`` provider pointed at a local
OpenAI-compatible server that answers every request after ``--delay`` seconds. The wall time
of N iterations is compared with that of one (medians over rounds). Sequential judging would
give a ratio of about N. Target: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio

from llm_pytest.api import arun_spec
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.openai import OpenAIProvider

TARGET = 1.5
SPEC = """
test:
  name: Judged store
steps:
  - name: Store a user
    tool: store_value
    args: {name: user, value: {name: Alice, email: alice@example.com}}
    expect: The stored user is Alice with a valid email address
verdict:
  pass_if: The user was stored with correct data
"""
VERDICT = {"verdict": "PASS", "reason": "Alice is stored", "steps": [], "issues": []}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.requests += 1
        time.sleep(self.server.delay)
        body = json.dumps(
            {
                "model": "bench-model",
                "choices": [{"message": {"role": "assistant", "content": json.dumps(VERDICT)}}],
                "usage": {"prompt_tokens": 800, "completion_tokens": 40},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.requests = 0
        self.lock = threading.Lock()


async def timed(spec: Path, judge: ProviderJudge, iterations: int) -> float:
    started = time.perf_counter()
    result = await arun_spec(spec, iterations=iterations, judge=judge)
    elapsed = time.perf_counter() - started
    outcomes = [run.outcome for run in result.runs]
    if outcomes != ["PASS"] * iterations:
        reasons = {run.reason for run in result.runs}
        raise SystemExit(f"unexpected outcomes {outcomes}: {reasons}")
    return elapsed


async def main(iterations: int, delay: float, rounds: int) -> None:
    server = _Server(delay)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        judge = ProviderJudge(OpenAIProvider(base_url=base_url), timeout=30, max_retries=0)
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "test_judged.yaml"
            spec.write_text(SPEC)
            await timed(spec, judge, 1)  # warm-up: imports, first connection
            singles, multis = [], []
            for _ in range(rounds):
                singles.append(await timed(spec, judge, 1))
                multis.append(await timed(spec, judge, iterations))
    finally:
        server.shutdown()
        server.server_close()
    one = statistics.median(singles)
    many = statistics.median(multis)
    ratio = many / one
    print(f"server delay per judge call: {delay:.2f} s; requests served: {server.requests}")
    print(f"1 iteration:   {one:.3f} s (median of {rounds})")
    print(f"{iterations} iterations: {many:.3f} s (median of {rounds})")
    verdict = "OK" if ratio <= TARGET else "TOO SLOW"
    print(f"ratio {ratio:.2f} (target <= {TARGET}; sequential would be ~{iterations}): {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    anyio.run(main, args.iterations, args.delay, args.rounds)
