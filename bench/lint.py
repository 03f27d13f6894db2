"""Cost of `llm-pytest lint` against collecting the same specs (load + validate + compile).

    python bench/lint.py [--specs 1000] [--rounds 5]

Generates specs of 10 steps with 3 `${...}` interpolations each, calling built-in tools so that
every tool name and argument is checked. Each spec is timed on its own and the median per spec
is compared. Target: lint / collection <= 1.2 (lint reuses the compiler's work).

Names vary per spec and per measurement: the expression parser caches trees by text, so each
path gets its own copy of the specs (same shapes, other names) and neither profits from the
other's parsing. The paths take turns in rounds, so drift on the machine hits them alike.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from llm_pytest.dsl.compiler import compile_documents
from llm_pytest.dsl.loader import load_text
from llm_pytest.lint import LintSettings, lint_text
from llm_pytest.runtime.tools import build_registry

TARGET = 1.2
STEPS = 10


def spec_text(index: int, salt: int) -> str:
    """One spec: 10 steps, each with 3 interpolations; names depend on ``index`` and ``salt``."""
    rng = random.Random(index * 7919 + salt)
    tag = f"{salt}_{index}"
    lines = [
        f"test:\n  name: generated {tag}\n  timeout: 30\n",
        f"vars:\n  base_{tag}: http://127.0.0.1:{8000 + index % 100}\n"
        f"  user_{tag}: u{rng.randrange(10**6)}\n",
        "steps:\n",
    ]
    previous = f"env.HOME_{tag}"
    for step in range(STEPS):
        saved = f"r{tag}_{step}"
        three = f"${{vars.base_{tag}}}/items/${{vars.user_{tag}}}?after=${{{previous}}}"
        if step % 3 == 0:
            call = (
                "    tool: http_request\n"
                f'    args:\n      method: GET\n      url: "{three}"\n'
                f"      timeout: {rng.randrange(1, 30)}\n"
                f"    check: result.status == {200 + step}\n"
            )
        else:
            call = (
                "    tool: store_value\n"
                f"    args:\n      name: key_{step}_{rng.randrange(10**6)}\n"
                f'      value: "{three}"\n'
                f'    check: starts_with(result.stored, "key_{step}")\n'
            )
        lines.append(f"  - name: step {step} of {tag}\n{call}    save_as: {saved}\n")
        previous = f"{saved}.value"
    lines.append(f'verdict:\n  pass_if: "every value ends with ${{{previous}}}"\n')
    return "".join(lines)


def timed(run: Callable[[str, str], object], texts: list[str], label: str) -> list[float]:
    out: list[float] = []
    clock = time.perf_counter
    for i, text in enumerate(texts):
        path = f"{label}/test_generated_{i}.yaml"
        start = clock()
        run(text, path)
        out.append(clock() - start)
    return out


def main(specs: int, rounds: int) -> int:
    settings = LintSettings(registry=build_registry([]))

    def collect(text: str, path: str) -> object:
        return compile_documents(load_text(text, path))

    def lint(text: str, path: str) -> object:
        report = lint_text(text, path, settings)
        if report.findings:
            raise SystemExit(f"generated spec has findings: {report.findings[0]}")
        return report

    paths = {"collection (load + validate + compile)": collect, "lint": lint}
    compiled = compile_documents(load_text(spec_text(0, 0), "check.yaml"))
    if compiled.errors:
        raise SystemExit(f"generated spec does not compile: {compiled.errors[0]}")
    salt = 1
    for run in paths.values():  # warm-up: imports, validators, first caches
        timed(run, [spec_text(i, salt) for i in range(50)], "warm")
        salt += 1
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(rounds):
        order = list(paths.items())
        if round_ % 2:
            order.reverse()
        for name, run in order:
            texts = [spec_text(i, salt) for i in range(specs)]
            salt += 1
            samples[name].extend(timed(run, texts, f"round{round_}"))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    reference, measured = medians.values()
    print(f"{specs} specs x {rounds} rounds per path, {STEPS} steps with 3 interpolations each")
    for name, value in medians.items():
        print(f"  {name:<40} median {value * 1e3:7.3f} ms per spec")
    ratio = measured / reference
    verdict = "ok" if ratio <= TARGET else "SLOWER THAN TARGET"
    print(f"  ratio lint / collection: {ratio:.3f}  (target <= {TARGET})  {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    raise SystemExit(main(options.specs, options.rounds))
