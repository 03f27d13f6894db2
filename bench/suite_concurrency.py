"""Judged spec items overlap across a suite: 16 judged specs take about as long as one.

    python bench/suite_concurrency.py [--specs 16] [--delay 0.5] [--rounds 3]

A project of N spec files (one step, an `expect`, a `verdict` each) runs with
``python -m pytest --llm`` and the ``openai`` provider pointed at a local OpenAI-compatible
server that answers every request after ``--delay`` seconds. Wall times (medians over rounds,
each a fresh pytest process) are compared with that of a project of one spec:

- N specs, one after another (the default, ``--llm-parallel 1``): about N times one spec;
- N specs with ``--llm-parallel N``: target <= 1.5;
- N specs with ``--llm-parallel N`` under ``-n 2`` (pytest-xdist), against one spec under
  ``-n 2`` (worker start-up is in both): target <= 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from judge_concurrency import SPEC, _Server

TARGET = 1.5


def _project(root: Path, specs: int, base_url: str) -> Path:
    root.mkdir(parents=True)
    (root / "pytest.ini").write_text(
        "[pytest]\n"
        "llm_provider = openai\n"
        f"llm_judge_base_url = {base_url}\n"
        "llm_judge_timeout = 30\n"
        "llm_cache = off\n"
    )
    for i in range(specs):
        text = SPEC.replace("name: Judged store", f"name: Judged store {i}")
        (root / f"test_judged_{i:02d}.yaml").write_text(text)
    return root


def _timed(project: Path, *args: str) -> float:
    env = {**os.environ, "OPENAI_API_KEY": "bench", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "--llm", "-q", "-p", "no:randomly", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout[-3000:]}")
    return elapsed


def main(specs: int, delay: float, rounds: int) -> None:
    server = _Server(delay)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    cases = {
        "1 spec": ("one", ()),
        "1 spec, -n 2": ("one", ("-n", "2")),
        f"{specs} specs, one after another": ("many", ()),
        f"{specs} specs, --llm-parallel {specs}": ("many", ("--llm-parallel", str(specs))),
        f"{specs} specs, --llm-parallel {specs} -n 2": (
            "many",
            ("--llm-parallel", str(specs), "-n", "2"),
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            projects = {
                "one": _project(Path(tmp, "one"), 1, base_url),
                "many": _project(Path(tmp, "many"), specs, base_url),
            }
            _timed(projects["one"])  # warm-up: imports, byte code
            for _ in range(rounds):
                for name, (project, args) in cases.items():
                    times[name].append(_timed(projects[project], *args))
    finally:
        server.shutdown()
        server.server_close()
    walls = {name: statistics.median(values) for name, values in times.items()}
    print(f"judge delay per call: {delay:.2f} s; requests served: {server.requests}")
    for name, wall in walls.items():
        reference = "1 spec, -n 2" if "-n 2" in name else "1 spec"
        ratio = wall / walls[reference]
        print(f"{name:<40} {wall:6.2f} s  ratio {ratio:5.2f} to {reference} (median of {rounds})")
    for name, reference in (
        (f"{specs} specs, --llm-parallel {specs}", "1 spec"),
        (f"{specs} specs, --llm-parallel {specs} -n 2", "1 spec, -n 2"),
    ):
        ratio = walls[name] / walls[reference]
        verdict = "OK" if ratio <= TARGET else "TOO SLOW"
        print(f"{name}: ratio {ratio:.2f} to {reference} (target <= {TARGET}): {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    main(args.specs, args.delay, args.rounds)
