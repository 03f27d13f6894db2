"""`llm-pytest judge-eval [CASES.yaml]`: how often a judge gives the verdict a labelled case
deserves.

Every case goes through the judge a real run goes through (the same prompt, the same parsing).
Printed: the false passes first (the judge passed what must fail), then the false fails and the
UNCLEAR answers, then agreement overall and per expected verdict, and what the judge cost. Exit
code 1 when agreement is below ``--min-agreement`` or the judge failed to answer a case (an
unreachable judge measures nothing), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import anyio

from llm_pytest.cli.judge_options import add_judge_arguments, judge_from_args, rate
from llm_pytest.errors import UsageError
from llm_pytest.judging.calibration import STARTER, CaseResult, Evaluation, evaluate, load_cases

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cases",
        nargs="?",
        type=Path,
        metavar="CASES.yaml",
        help="a file of labelled judge cases (default: the packaged starter set)",
    )
    add_judge_arguments(parser)
    parser.add_argument(
        "--min-agreement",
        type=rate,
        metavar="RATE",
        help="exit 1 when agreement is below RATE, 0..1 or a percentage (e.g. 0.9 or 90%%)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="cases judged at once (default 4)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be a whole number ≥ 1, not {args.concurrency}")
    cases = load_cases(args.cases)
    judge, description = judge_from_args(args)
    source = str(args.cases) if args.cases else STARTER
    print(f"judge-eval: {len(cases)} cases from {source}")
    print(description)
    evaluation = anyio.run(_evaluate, judge, cases, args.concurrency)
    for line in report_lines(evaluation):
        print(line)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {"source": source, "judge": description, **evaluation.to_json()}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"json: {args.json}")
    code = 0
    failures = evaluation.judge_failures
    if failures:
        print(
            f"FAILED: the judge gave no verdict on {len(failures)} of {evaluation.total} cases; "
            "this is no measurement of it: fix the judge (see the reasons above) and run again"
        )
        code = 1
    minimum = args.min_agreement
    if minimum is not None and evaluation.agreement < minimum:
        print(
            f"FAILED: agreement {evaluation.agreement:.1%} is below --min-agreement {minimum:.1%}"
        )
        code = 1
    return code


async def _evaluate(judge: Any, cases: Any, concurrency: int) -> Evaluation:
    return await evaluate(judge, cases, concurrency=concurrency)


def report_lines(evaluation: Evaluation) -> list[str]:
    """The disagreements, false passes first, then the totals."""
    out: list[str] = []
    for result in evaluation.false_passes:
        out.append(_line("FALSE PASS", result))
    for result in evaluation.false_fails:
        out.append(_line("FALSE FAIL", result))
    for result in evaluation.unclear:
        cause = "the judge failed" if result.judge_failed else "the judge could not decide"
        out.append(_line(f"UNCLEAR ({cause})", result))
    n = evaluation.total
    out.append(
        f"agreement: {evaluation.agreed} of {n} cases ({evaluation.agreement:.1%}); "
        f"false passes: {len(evaluation.false_passes)}; "
        f"false fails: {len(evaluation.false_fails)}; UNCLEAR: {len(evaluation.unclear)}"
    )
    for expected in ("PASS", "FAIL"):
        group = [r for r in evaluation.results if r.case.expected == expected]
        if group:
            agreed = sum(r.agrees for r in group)
            out.append(
                f"  cases that must {'pass' if expected == 'PASS' else 'fail'}: "
                f"{agreed} of {len(group)} judged {expected} ({agreed / len(group):.1%})"
            )
    out.append(f"judge: {evaluation.tokens} tokens, ${evaluation.cost_usd:.4f}")
    return out


def _line(label: str, result: CaseResult) -> str:
    why = f" (why: {result.case.why})" if result.case.why else ""
    return (
        f"{label} {result.case.name} at {result.location}: expected {result.case.expected}, "
        f"the judge said {result.got}: {result.record.reason}{why}"
    )
