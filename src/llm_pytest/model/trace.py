"""The Trace: the one record of a run. Reports, the judge prompt, failure reports and the result
API are all views of it. Everything in it is JSON-serialisable (``to_json``) and secrets from the
environment are redacted as values are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from llm_pytest.errors import SourceLocation
from llm_pytest.model.jsonsafe import json_safe
from llm_pytest.model.redaction import Redactor

__all__ = [
    "MAX_DETAILED_STEPS",
    "Attempt",
    "CheckRecord",
    "Frame",
    "JudgeRecord",
    "Outcome",
    "Phase",
    "Raised",
    "Redactor",
    "RunTrace",
    "SamplingUsage",
    "StepRecord",
    "StepStatus",
    "UnclearCause",
]

Outcome = Literal["PASS", "FAIL", "UNCLEAR"]
StepStatus = Literal["passed", "failed", "skipped", "not_run"]
Phase = Literal["setup", "steps", "teardown"]
UnclearCause = Literal["no_judge", "judge_failed", "undecided"]

MAX_DETAILED_STEPS = 1000
"""Step records kept with args and results per run; later ones keep status and timing only, so a
run of a huge repeat block stays small in memory."""


@dataclass(slots=True)
class Attempt:
    """One attempt at a tool call."""

    number: int
    duration_ms: float
    ok: bool
    error: str | None = None
    result: Any = None


@dataclass(slots=True)
class CheckRecord:
    """One `check` expression and what it saw, or the step's `schema` (``values``: the JSON path
    of each mismatch and what is wrong there) or its `snapshot` (``values``: what was done with
    which file; ``error``: the diff)."""

    expression: str
    passed: bool
    location: str
    values: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    kind: Literal["check", "schema", "snapshot"] = "check"
    """What was checked: a ``check`` expression, the step's ``schema`` or its ``snapshot``."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a traceback: where Python code was when an exception went through it."""

    path: str
    """The file, relative to the working directory when it is under it."""
    line: int
    function: str
    code: str | None = None
    """The source line, stripped, when the file can be read."""
    user: bool = True
    """The frame is the project's code, not llm-pytest's, an installed package's or Python's."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}"


@dataclass(frozen=True, slots=True)
class Raised:
    """Where a tool's exception was raised: the innermost frame of the project's code (``at``)
    and every frame of its traceback, outermost first."""

    at: Frame
    frames: tuple[Frame, ...] = ()


@dataclass(slots=True)
class StepRecord:
    """One executed (or skipped, or not-run) step of a run."""

    id: str
    phase: Phase
    kind: Literal["tool", "repeat", "use"]
    name: str | None
    tool: str | None
    location: SourceLocation
    """Where the step is in its spec; written as ``path:line:col`` in JSON."""
    status: StepStatus = "not_run"
    args: Any = None
    result: Any = None
    error: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    checks: list[CheckRecord] = field(default_factory=list)
    duration_ms: float = 0.0
    loop: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None
    analyze: str | None = None
    continue_on_error: bool = False
    note: str | None = None
    """Why the step was skipped or not run, or that a blocking tool's thread was abandoned."""
    expect_error: str | None = None
    """The error the step's ``expect_error`` asks for (``matching `x` of type KeyError``); the
    error it got is its last attempt's."""
    raised: Raised | None = None
    """Where the exception that failed the step was raised, when a tool's Python code raised
    it."""

    @property
    def label(self) -> str:
        return self.name or self.tool or self.id


@dataclass(slots=True)
class JudgeRecord:
    """The judge's verdict on a run, with what it cost."""

    verdict: Outcome
    reason: str
    provider: str
    model: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    raw_excerpt: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    cached: bool = False
    unclear: UnclearCause | None = None
    """Why an UNCLEAR verdict is one: ``no_judge`` (none is configured), ``judge_failed`` (it
    could not answer: unreachable, timed out, no valid verdict after the repair attempt) or
    ``undecided`` (it answered UNCLEAR, also when this is None)."""
    votes: list[JudgeRecord] = field(default_factory=list)
    """Each vote of a consensus (``judge.votes``/``judge.panel``), in the order asked; the
    record's tokens and cost are their sums. Empty for a single judgement."""
    agreement: str | None = None
    """How many votes gave the verdict, of how many: ``2/3`` (a split counts its largest
    side); None for a single judgement."""

    @property
    def split(self) -> bool:
        """Whether the votes reached no majority (a tie such as 1–1)."""
        if self.agreement is None:
            return False
        agreed, _, asked = self.agreement.partition("/")
        return 2 * int(agreed) <= int(asked)


@dataclass(slots=True)
class SamplingUsage:
    """The judge LLM's answers to MCP sampling requests in one run: how many, and their usage."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
        """One more answered request."""
        self.requests += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_usd += cost_usd


@dataclass(slots=True)
class RunTrace:
    """Everything that happened in one run of one plan."""

    spec_path: str
    test_name: str
    experiment: str | None
    iteration: int
    outcome: Outcome = "UNCLEAR"
    reason: str = ""
    failed_step: str | None = None
    duration_ms: float = 0.0
    steps: list[StepRecord] = field(default_factory=list)
    judge: JudgeRecord | None = None
    elided_steps: int = 0
    """Step records beyond MAX_DETAILED_STEPS whose args and results were not kept."""
    verdict: dict[str, str | None] | None = None
    """The spec's `verdict` texts (``pass_if``, ``fail_if``) with this run's values filled in."""
    description: str | None = None
    """The test's description, as the spec wrote it."""
    iterations: int = 1
    """How many runs the item has; this is run ``iteration`` of them."""
    mcp_startup_ms: dict[str, float] = field(default_factory=dict)
    """How long each MCP server this run started took to be ready (ms), by server name; a
    server the item's runs share (``scope: item``) is in its first run's trace."""
    sampling: SamplingUsage = field(default_factory=lambda: SamplingUsage())
    """What the judge LLM used answering MCP servers' sampling requests (``sampling: judge``)
    during the run's tool calls; counted in the run's tokens and cost."""

    @property
    def item_name(self) -> str:
        """The pytest item's name: ``test[experiment]``, or the test's name."""
        return f"{self.test_name}[{self.experiment}]" if self.experiment else self.test_name

    @property
    def input_tokens(self) -> int:
        """The judge's input tokens: its verdict and its answers to sampling requests."""
        return (self.judge.input_tokens if self.judge else 0) + self.sampling.input_tokens

    @property
    def output_tokens(self) -> int:
        return (self.judge.output_tokens if self.judge else 0) + self.sampling.output_tokens

    @property
    def cost_usd(self) -> float:
        return (self.judge.cost_usd if self.judge else 0.0) + self.sampling.cost_usd

    def to_json(self) -> dict[str, Any]:
        """The trace as strict JSON data; values no report could hold become placeholders that
        say what they were (see :func:`~llm_pytest.model.jsonsafe.json_safe`)."""
        data: dict[str, Any] = json_safe(self)
        for step, record in zip(data["steps"], self.steps, strict=True):
            step["location"] = str(record.location)
        data["input_tokens"] = self.input_tokens
        data["output_tokens"] = self.output_tokens
        data["cost_usd"] = json_safe(self.cost_usd)
        return data

    def summary(self) -> dict[str, Any]:
        """One line of ``trace_summary.jsonl``."""
        return {
            "spec": self.spec_path,
            "test": self.test_name,
            "experiment": self.experiment,
            "iteration": self.iteration,
            "outcome": self.outcome,
            "duration_ms": round(self.duration_ms, 3),
            "tokens": self.input_tokens + self.output_tokens,
            "cost": self.cost_usd,
            "reason": self.reason,
        }
