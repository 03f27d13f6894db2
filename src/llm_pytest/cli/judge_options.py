"""The judge options of the commands that judge without pytest (``judge-eval``, ``rejudge``):
``--llm-provider``, ``--llm-model``, ``--llm-judge-votes`` and ``--llm-judge-setting KEY=VALUE``
(the ini ``llm_judge_<key>`` settings of a session)."""

from __future__ import annotations

import argparse
from typing import Any

from llm_pytest.errors import UsageError, closest
from llm_pytest.model.verdict import Judge

__all__ = ["add_judge_arguments", "judge_from_args", "judge_settings", "rate"]


def rate(text: str) -> float:
    """``0.9`` or ``90%`` as a fraction 0..1 (argparse type)."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a rate: write 0..1 or a percentage, e.g. 0.9 or 90%"
        ) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1 (0% and 100%)")
    return value


def _votes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of votes: write 1, 3, 5, ...")
    return value


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    from llm_pytest.judging.registry import providers

    parser.add_argument(
        "--llm-provider",
        default="auto",
        metavar="NAME",
        help="judge provider: auto (default), " + ", ".join(p.name for p in providers()),
    )
    parser.add_argument("--llm-model", metavar="MODEL", help="judge model")
    parser.add_argument(
        "--llm-judge-votes",
        type=_votes,
        metavar="K",
        help="ask the judge K times for each verdict and take the majority (a split is UNCLEAR)",
    )
    parser.add_argument(
        "--llm-judge-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a judge setting, as ini llm_judge_KEY of a session (e.g. script=verdicts.yaml, "
        "base_url=http://127.0.0.1:8000/v1); repeatable",
    )


def judge_settings(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` texts as judge settings; UsageError for a malformed or unknown key."""
    from llm_pytest.judging.registry import setting_help

    known = setting_help()
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--llm-judge-setting {pair!r}: write KEY=VALUE, e.g. timeout=60")
        if key not in known:
            guess = closest(key, known)
            raise UsageError(
                f"--llm-judge-setting: unknown judge setting `{key}`"
                + (f"; did you mean `{guess}`?" if guess else "")
                + f" (settings: {', '.join(sorted(known))})"
            )
        out[key] = value
    return out


def judge_from_args(args: argparse.Namespace) -> tuple[Judge, str]:
    """The judge the options name, asked afresh (no cache), and the line describing it.
    UsageError when no judge would be asked (``offline``, or ``auto`` finding none)."""
    from llm_pytest.runtime.settings import make_judge

    judge, description = make_judge(
        args.llm_provider,
        model=args.llm_model,
        settings={
            **judge_settings(args.llm_judge_setting),
            **({"votes": args.llm_judge_votes} if args.llm_judge_votes else {}),
        },
        cache=None,
        cache_mode="off",
    )
    if getattr(judge, "name", None) == "offline":
        raise UsageError(
            f"no judge to ask: {description.removeprefix('judge: ')}; choose one with "
            "--llm-provider"
        )
    return judge, description
