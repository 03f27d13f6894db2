"""Collection speed: load + validate + compile of generated specs vs a plain CSafeLoader load.

1,000 specs of 10 steps with 3 interpolations each (names vary per spec, so no cache makes the
work trivial). Prints the median per-spec time of both and their ratio (target: ≤ 3).

    python bench/collection.py [--specs 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import yaml

from llm_pytest.dsl.compiler import compile_documents
from llm_pytest.dsl.loader import load_text


def generate_spec(i: int, steps: int = 10) -> str:
    """One spec: `steps` tool steps, each with three `${...}` interpolations."""
    lines = [
        "# yaml-language-server: $schema=../schemas/llm-pytest.schema.json",
        "test:",
        f'  name: "Generated spec {i}"',
        "  timeout: 30",
        "vars:",
        f'  base_{i}: "http://127.0.0.1:{8000 + i % 50}"',
        "steps:",
    ]
    for s in range(steps):
        prev = f"step_{i}_{s - 1}" if s else None
        source = f"${{{prev}.value.items[{s % 3}].id}}" if prev else f"${{vars.base_{i}}}"
        lines += [
            f'  - name: "Step {s} of spec {i}"',
            "    tool: store_value",
            "    args:",
            f'      name: "key_{i}_{s}"',
            f'      value: {{url: "${{vars.base_{i}}}/items/{s}", '
            f'token: "${{stored.token_{s % 4}}}", prev: "{source}"}}',
            f"    save_as: step_{i}_{s}",
            f'    expect: "the value for key {s} is stored"',
        ]
    return "\n".join(lines) + "\n"


def compile_text(text: str, name: str) -> None:
    result = compile_documents(load_text(text, name))
    if result.errors:
        raise SystemExit(result.errors[0].render())


def measure(texts: list[str], rounds: int) -> tuple[float, float]:
    ours: list[float] = []
    plain: list[float] = []
    for r in range(rounds):
        for i, text in enumerate(texts):
            name = f"bench/spec_{r}_{i}.yaml"
            t0 = time.perf_counter()
            yaml.load(text, Loader=yaml.CSafeLoader)
            t1 = time.perf_counter()
            compile_text(text, name)
            t2 = time.perf_counter()
            plain.append(t1 - t0)
            ours.append(t2 - t1)
    return statistics.median(ours), statistics.median(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = [generate_spec(i) for i in range(args.specs)]
    compile_text(texts[0], "warmup.yaml")
    ours, plain = measure(texts, args.rounds)
    print(f"specs: {args.specs} x {args.rounds} rounds, 10 steps, 3 interpolations per step")
    print(f"load + validate + compile: median {ours * 1e6:8.1f} us per spec")
    print(f"yaml.load(CSafeLoader):    median {plain * 1e6:8.1f} us per spec")
    print(f"ratio: {ours / plain:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
