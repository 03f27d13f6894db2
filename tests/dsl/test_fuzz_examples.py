"""Fuzzing the spec examples: mutated real specs get located, bounded errors, never a traceback,
and an answer in bounded time (each case runs under a hang guard far above what it takes)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.errors import SpecError, SpecErrors
from llm_pytest.lint import LintSettings, lint_text
from llm_pytest.tools.registry import ToolRegistry

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "spec-examples").rglob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in EXAMPLES]
PATH = "fuzzed.yaml"
MAX_RENDERED = 6_000
"""Characters one rendered error may take: message, hint and a cut source excerpt."""
HANG_GUARD_S = 30.0
"""Seconds one case may take before it counts as a hang (cases take milliseconds)."""


class Hang(BaseException):
    """Raised in the main thread when a case outlives the hang guard (a BaseException, so that
    no ``except Exception`` in the code under test can turn it into an error message)."""


@contextmanager
def hang_guard(seconds: float = HANG_GUARD_S) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds:g}s: the case hangs or loops")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# What is most likely to break a parser, a model or an expression: YAML's own punctuation,
# interpolation, quotes, odd characters and large or deep values.
PIECES = [
    ":",
    "-",
    " ",
    "\n",
    "  ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "&a",
    "*a",
    "<<: *a",
    "!!str",
    "!x",
    "#",
    "|",
    ">",
    "${",
    "}",
    "${vars.x}",
    "${result}",
    "$${",
    "\\",
    "\x00",
    "\ud800",
    "9" * 5000,
    "[" * 300,
    "- " * 50,
    "steps:",
    "test:",
    "tool: x",
    "when: (",
    "check: all(u for u in",
    "[*]",
    "expect_error: '('",
    "repeat: 1000000000",
    "imports: [/]",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
    return text


def _check(error: SpecError) -> None:
    assert error.location is not None, error
    assert error.location.path == PATH, error
    assert error.location.line >= 1 and error.location.col >= 1, error
    assert len(error.render()) <= MAX_RENDERED, error.message[:200]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_a_mutated_example_compiles_or_fails_with_located_bounded_errors(text: str) -> None:
    try:
        with hang_guard():
            compile_text(text, PATH)
    except SpecErrors as errors:
        for error in errors.errors:
            _check(error)
    except SpecError as error:
        _check(error)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_lint_reports_a_mutated_example_as_located_findings(text: str) -> None:
    with hang_guard():
        report = lint_text(text, PATH, LintSettings(registry=ToolRegistry([])))
    for finding in report.findings:
        assert finding.location.line >= 1 and finding.location.col >= 1, finding
        assert len(finding.message) <= MAX_RENDERED, finding.message[:200]
