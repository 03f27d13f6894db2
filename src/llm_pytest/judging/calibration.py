"""Calibration: how far a judge can be trusted, measured on labelled cases.

A case file (YAML) holds ``cases:``, each a recorded run (steps with their tool, arguments and
result, and the expectations the judge reads) and the verdict it deserves (``expected: PASS`` or
``FAIL``). :func:`evaluate` sends every case through a judge exactly as a real run is sent, the
same prompt and the same parsing, and counts agreement, false passes (the judge passed what
must fail: the dangerous error) and false fails. An UNCLEAR answer never agrees.

The package ships a starter set (:data:`STARTER`, ``judging/cases/starter.yaml``): well-formed
data that must pass and subtly wrong data (duplicate ids, malformed emails, wrong counts, wrong
totals) that must fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from llm_pytest.dsl.loader import Document, load_file
from llm_pytest.dsl.validate import validate_data
from llm_pytest.errors import SourceLocation, SpecErrors, UsageError, ValidationError
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import Attempt, JudgeRecord, RunTrace, StepRecord
from llm_pytest.model.verdict import Judge

__all__ = [
    "STARTER",
    "CaseFile",
    "CaseResult",
    "Evaluation",
    "JudgeCase",
    "LoadedCase",
    "case_trace",
    "evaluate",
    "load_cases",
    "starter_path",
]

STARTER = "<packaged starter set>"
"""How the packaged case set is named in output."""

_NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True
    )


class CaseStep(_Model):
    """One recorded step of a case: what a tool was called with and what it returned."""

    name: _NonEmpty | None = None
    """The step's name, as the judge sees it (default: the tool's name)."""
    tool: _NonEmpty
    """The tool that was called."""
    args: dict[str, Any] = Field(default_factory=dict)
    """The arguments it was called with."""
    result: Any = None
    """What it returned."""
    expect: _NonEmpty | None = None
    """The step's natural-language expectation."""
    analyze: _NonEmpty | None = None
    """The step's analysis instructions."""


class CaseVerdict(_Model):
    """The overall pass and fail conditions of a case (the spec's ``verdict``)."""

    pass_if: _NonEmpty | None = None
    fail_if: _NonEmpty | None = None


class JudgeCase(_Model):
    """One labelled case: a recorded run and the verdict a good judge gives it."""

    name: _NonEmpty
    """The case's name, unique in its file (the test name the judge sees)."""
    expected: Literal["PASS", "FAIL"]
    """The verdict the run deserves."""
    description: str | None = None
    """The test's description, as the judge sees it."""
    why: str | None = None
    """Why it deserves that verdict (shown when the judge disagrees; never sent to it)."""
    steps: Annotated[list[CaseStep], Field(min_length=1)]
    """The recorded steps, in order."""
    verdict: CaseVerdict | None = None
    """Overall pass/fail conditions."""

    @model_validator(mode="after")
    def _judgeable(self) -> JudgeCase:
        if self.verdict is None and not any(s.expect or s.analyze for s in self.steps):
            raise ValueError(
                "a case needs something to judge: an `expect` or `analyze` on a step, or a "
                "`verdict`"
            )
        return self


class CaseFile(_Model):
    """A file of labelled judge cases."""

    cases: Annotated[list[JudgeCase], Field(min_length=1)]
    """The cases."""


@dataclass(frozen=True)
class LoadedCase:
    """A case and where it is written."""

    case: JudgeCase
    location: SourceLocation
    step_locations: tuple[SourceLocation, ...]


def starter_path() -> Path:
    """The packaged starter set's file."""
    found = resources.files("llm_pytest.judging").joinpath("cases", "starter.yaml")
    return Path(str(found))


def load_cases(path: Path | None = None) -> list[LoadedCase]:
    """The cases of ``path`` (default: the starter set), validated; SpecErrors at the
    offending line for a file that is not a case file."""
    source = path or starter_path()
    docs = load_file(source)
    if len(docs) != 1:
        where = docs[1].location if len(docs) > 1 else SourceLocation(str(source), 1, 1)
        raise ValidationError(
            "a case file is one YAML document with `cases:`",
            where,
            hint="put every case under one `cases:` list (no `---` separators)",
        )
    doc = docs[0]
    if not isinstance(doc.data, dict) or "cases" not in doc.data:
        raise ValidationError(
            "a case file is a mapping with `cases:`, a list of cases",
            doc.location,
            hint="write `cases:` then, per case, `name`, `expected: PASS|FAIL` and `steps` "
            "(each with `tool`, `args`, `result` and `expect`)",
        )
    parsed = validate_data(doc.data, doc, CaseFile)
    _unique_names(parsed, doc)
    return [
        LoadedCase(
            case,
            doc.locate(["cases", i]),
            tuple(doc.locate(["cases", i, "steps", j]) for j in range(len(case.steps))),
        )
        for i, case in enumerate(parsed.cases)
    ]


def _unique_names(parsed: CaseFile, doc: Document) -> None:
    seen: dict[str, int] = {}
    errors = []
    for i, case in enumerate(parsed.cases):
        if case.name in seen:
            first = doc.locate(["cases", seen[case.name], "name"])
            errors.append(
                ValidationError(
                    f"two cases are named `{case.name}` (the first at {first})",
                    doc.locate(["cases", i, "name"]),
                    hint="give every case a name of its own: reports name cases by it",
                )
            )
        seen.setdefault(case.name, i)
    if errors:
        raise SpecErrors(errors)


def case_trace(loaded: LoadedCase) -> RunTrace:
    """The case as the trace of a run whose steps all passed: what the judge reads."""
    case = loaded.case
    steps = [
        StepRecord(
            id=f"steps.{j}",
            phase="steps",
            kind="tool",
            name=step.name,
            tool=step.tool,
            location=loaded.step_locations[j],
            status="passed",
            args=step.args,
            result=step.result,
            attempts=[Attempt(1, 0.0, True, result=step.result)],
            expect=step.expect,
            analyze=step.analyze,
        )
        for j, step in enumerate(case.steps)
    ]
    verdict = None
    if case.verdict is not None:
        verdict = {"pass_if": case.verdict.pass_if, "fail_if": case.verdict.fail_if}
    return RunTrace(
        loaded.location.path,
        case.name,
        None,
        1,
        steps=steps,
        verdict=verdict,
        description=case.description,
    )


@dataclass(frozen=True)
class CaseResult:
    """What the judge said of one case."""

    case: JudgeCase
    location: SourceLocation
    record: JudgeRecord

    @property
    def got(self) -> str:
        return self.record.verdict

    @property
    def agrees(self) -> bool:
        return self.record.verdict == self.case.expected

    @property
    def false_pass(self) -> bool:
        return self.case.expected == "FAIL" and self.record.verdict == "PASS"

    @property
    def false_fail(self) -> bool:
        return self.case.expected == "PASS" and self.record.verdict == "FAIL"

    @property
    def judge_failed(self) -> bool:
        """The judge gave no verdict at all (unreachable, timed out, unparseable)."""
        return self.record.verdict == "UNCLEAR" and self.record.unclear in (
            "judge_failed",
            "no_judge",
        )

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "case": self.case.name,
            "location": str(self.location),
            "expected": self.case.expected,
            "verdict": r.verdict,
            "agrees": self.agrees,
            "unclear": r.unclear if r.verdict == "UNCLEAR" else None,
            "reason": r.reason,
            "provider": r.provider,
            "model": r.model,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "cost_usd": r.cost_usd,
            "latency_ms": r.latency_ms,
        }


@dataclass
class Evaluation:
    """Every case's result, with the measures of the judge."""

    results: list[CaseResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def agreed(self) -> int:
        return sum(r.agrees for r in self.results)

    @property
    def agreement(self) -> float:
        """Cases whose verdict is the expected one / cases (UNCLEAR answers count against)."""
        return self.agreed / self.total if self.total else 0.0

    @property
    def false_passes(self) -> list[CaseResult]:
        return [r for r in self.results if r.false_pass]

    @property
    def false_fails(self) -> list[CaseResult]:
        return [r for r in self.results if r.false_fail]

    @property
    def unclear(self) -> list[CaseResult]:
        return [r for r in self.results if r.got == "UNCLEAR"]

    @property
    def judge_failures(self) -> list[CaseResult]:
        return [r for r in self.results if r.judge_failed]

    @property
    def tokens(self) -> int:
        return sum(r.record.input_tokens + r.record.output_tokens for r in self.results)

    @property
    def cost_usd(self) -> float:
        return sum(r.record.cost_usd for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": self.total,
            "agreed": self.agreed,
            "agreement": self.agreement,
            "false_passes": len(self.false_passes),
            "false_fails": len(self.false_fails),
            "unclear": len(self.unclear),
            "judge_failed": len(self.judge_failures),
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "results": [r.to_json() for r in self.results],
        }


async def evaluate(
    judge: Judge, cases: Sequence[LoadedCase], *, concurrency: int = 4
) -> Evaluation:
    """Every case judged by ``judge`` (``concurrency`` at once), results in case order.

    A judge that cannot work at all raises its ProviderConfigError, as in a session.
    """
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {concurrency}")
    records: dict[int, JudgeRecord] = {}
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(index: int, loaded: LoadedCase) -> None:
        async with limiter:
            records[index] = await judge(case_trace(loaded), JudgePlan())

    async with anyio.create_task_group() as tg:
        for i, loaded in enumerate(cases):
            tg.start_soon(one, i, loaded)
    return Evaluation([CaseResult(c.case, c.location, records[i]) for i, c in enumerate(cases)])
