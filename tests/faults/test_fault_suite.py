"""The fault suite: one real ``pytest --llm`` session in which every tool and judge fault we
know of happens at once, each in its own spec.

Whatever goes wrong — a tool that blocks the event loop, ignores its cancellation, calls
``sys.exit``, raises, returns what JSON cannot hold; a check with a catastrophic regex; a repeat
beyond the limit; a judge that answers truncated, nested, prose-wrapped or garbage JSON, errors,
or never answers — the session ends on its own, every faulty item fails with a message that
names its spec, no item passes on a fault, teardown runs for every test, no traceback of
llm-pytest's internals is printed, and every report is written and readable.

The inner session runs in a subprocess under a generous hang guard: it catches a hang, not a
slow machine.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.judging.fakes.llm_server import (
    Answer,
    FakeLLMServer,
    Received,
    error,
    openai_completion,
    serving,
)

HANG_GUARD_S = 300
"""Seconds the inner session may take before it counts as hung (it takes seconds)."""

UNRULY = """\
import sys
import time
from pathlib import Path

import anyio

from llm_pytest import LLMPlugin

LOG = Path(__file__).parent / "teardowns.log"


class Unruly(LLMPlugin):
    name = "unruly"

    async def blocks(self) -> dict:
        time.sleep(3)
        return {"slept": True}

    async def swallows(self) -> dict:
        while True:
            try:
                await anyio.sleep_forever()
            except anyio.get_cancelled_exc_class():
                pass

    async def exits(self) -> dict:
        sys.exit(3)

    def raises(self) -> dict:
        return {}["cookies"]

    def huge(self) -> dict:
        return {"n": 10**5000, "text": "\\ud800"}

    def value(self) -> dict:
        return {"email": "alice@example.com", "name": "a" * 35}

    def record(self, test: str) -> dict:
        with LOG.open("a") as log:
            log.write(test + "\\n")
        return {}
"""


def _spec(name: str, steps: str) -> str:
    return (
        f"test:\n  name: {name}\n  timeout: 1\nsteps:\n"
        + textwrap.indent(steps, "  ")
        + f"teardown:\n  - tool: unruly_record\n    args: {{test: {name}}}\n"
    )


TOOL_FAULTS: dict[str, str] = {
    "blocking": "- tool: unruly_blocks\n",
    "swallowing": "- tool: unruly_swallows\n",
    "exiting": "- tool: unruly_exits\n",
    "raising": "- tool: unruly_raises\n",
    "regex": "- tool: unruly_value\n  check: ['result.name matches \"^(a+)+$\"']\n",
    "repeat": "- repeat: 1000000000\n  steps:\n    - tool: unruly_value\n",
}
"""Specs whose tools or checks misbehave: each must fail."""

JUDGE_FAULTS: dict[str, Answer] = {
    "truncated": openai_completion(
        '{"verdict": "FAIL", "reason": "x", "analysis": {"verdict": "PASS"}, "issues": ["email inv'
    ),
    "nested": openai_completion(
        '{"outcome": {"verdict": "PASS", "reason": "ok", "steps": [], "issues": []}}'
    ),
    "prose": openai_completion(
        'A passing answer would be {"verdict": "PASS"}, but the email is malformed, so it fails.'
    ),
    "two_objects": openai_completion(
        '{"verdict": "PASS", "reason": "a", "steps": [], "issues": []}'
        '{"verdict": "FAIL", "reason": "b", "steps": [], "issues": []}'
    ),
    "garbage": openai_completion("\x00\x01 not json at all"),
    "no_choices": Answer(body={"id": "x", "object": "chat.completion", "choices": []}),
    "server_error": error(500, "internal error"),
    "silent": Answer(hold=True),
}
"""Specs judged by a judge that answers badly: none may pass (each fails: its judge failed)."""

JUDGED = """\
- tool: unruly_value
  expect: "The result holds a well-formed email"
"""


def _answer_for(received: Received) -> Answer:
    text = json.dumps(received.body)
    for name, answer in JUDGE_FAULTS.items():
        if f"judged_{name}" in text:
            return answer
    return error(400, "unknown test")


@pytest.fixture
def judge() -> Iterator[FakeLLMServer]:
    with serving(_answer_for) as server:
        yield server


def _outcomes(junit: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcome = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
        outcomes[case.attrib["name"]] = outcome
    return outcomes


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_every_known_fault_fails_its_item_cleanly_and_every_report_is_written(
    pytester: pytest.Pytester, judge: FakeLLMServer
) -> None:
    pytester.makepyfile(**{"plugins/unruly": UNRULY})
    pytester.makeini(
        "[pytest]\n"
        "llm_plugin_dirs = plugins\n"
        "llm_provider = openai\n"
        f"llm_judge_base_url = {judge.url}/v1\n"
        "llm_judge_timeout = 1\n"
        "llm_judge_max_retries = 0\n"
    )
    specs = pytester.path / "tests" / "llm"
    specs.mkdir(parents=True)
    for name, steps in TOOL_FAULTS.items():
        (specs / f"test_{name}.yaml").write_text(_spec(name, steps), encoding="utf-8")
    for name in JUDGE_FAULTS:
        test = f"judged_{name}"
        (specs / f"test_{test}.yaml").write_text(_spec(test, JUDGED), encoding="utf-8")
    (specs / "test_unwritable.yaml").write_text(
        _spec("unwritable", "- tool: unruly_huge\n  check: [result.n > 0]\n"), encoding="utf-8"
    )

    result = pytester.runpytest_subprocess(
        "--llm",
        "-p",
        "no:cacheprovider",
        "--llm-cache",
        "off",
        "--llm-report-dir",
        "runs",
        "--llm-html",
        "report.html",
        "--junitxml",
        "junit.xml",
        timeout=HANG_GUARD_S,
    )
    output = result.stdout.str() + result.stderr.str()

    faulty = [*TOOL_FAULTS, *(f"judged_{name}" for name in JUDGE_FAULTS)]
    outcomes = _outcomes(pytester.path / "junit.xml")
    assert {name: outcomes.get(name) for name in faulty} == dict.fromkeys(faulty, "failure")
    # A value JSON cannot hold is no fault of the test: it passes and is reported as a note.
    assert outcomes["unwritable"] == "passed"
    assert result.ret == pytest.ExitCode.TESTS_FAILED

    assert "Traceback (most recent call last)" not in output
    assert "INTERNALERROR" not in output
    for name in faulty:
        assert f"test_{name}.yaml" in output, f"{name}: its failure does not name its spec"

    teardowns = (pytester.path / "plugins" / "teardowns.log").read_text().split()
    assert sorted(teardowns) == sorted([*faulty, "unwritable"])

    runs = pytester.path / "runs"
    summary = _jsonl(runs / "trace_summary.jsonl")
    traces = _jsonl(runs / "per_trace.jsonl")
    assert {record["test"] for record in summary} == {*faulty, "unwritable"}
    assert len(traces) == len(summary)
    passed_on_a_fault = [
        r["test"] for r in summary if r["test"] in faulty and r.get("outcome") in ("PASS", "passed")
    ]
    assert passed_on_a_fault == []
    html = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert "unwritable" in html and "judged_truncated" in html
