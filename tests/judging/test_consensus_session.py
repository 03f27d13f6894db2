"""Consensus in a real pytest session: votes asked of the scripted judge, the majority deciding
each item, and the votes with their agreement, tokens and cost in the summary, the HTML report
and the run folder."""

from __future__ import annotations

import json

import pytest

from tests.pytest_plugin.plugin_support import run, write

JUDGED = """\
test: {{name: "{name}"}}
{judge}
steps:
  - tool: store_value
    args: {{name: a, value: 1}}
    expect: "The value is stored"
"""

VERDICTS = """\
Majority:
  - {verdict: PASS, reason: stored, input_tokens: 1000, output_tokens: 100, cost_usd: 0.002}
  - {verdict: FAIL, reason: not stored, input_tokens: 1000, output_tokens: 100, cost_usd: 0.002}
  - {verdict: PASS, reason: there, input_tokens: 1000, output_tokens: 100, cost_usd: 0.002}
Tie: [PASS, FAIL]
"""


@pytest.fixture
def voting(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose `Majority` spec asks 3 votes (2 PASS, 1 FAIL) and whose `Tie` is left to
    the session's --llm-judge-votes (PASS, FAIL)."""
    write(
        pytester,
        "tests/test_majority.yaml",
        JUDGED.format(name="Majority", judge="judge: {votes: 3}"),
    )
    write(pytester, "tests/test_tie.yaml", JUDGED.format(name="Tie", judge=""))
    write(pytester, "verdicts.yaml", VERDICTS)
    pytester.makeini(
        "[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n"
        "llm_report_dir = out\n"
    )
    return pytester


def test_the_majority_decides_and_a_tie_is_unclear_in_a_session(voting: pytest.Pytester) -> None:
    result = run(voting, "--llm", "--llm-judge-votes", "2", "--llm-html", "report.html")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*judge: scripted (set with --llm-provider or ini llm_provider), 2 votes per run*",
            "judge votes: 5 in 2 runs, 1 split; 3300 tokens, $0.0060 ($0.0012 a vote)",
            "  Majority: PASS 2/3 (PASS 1100 tok $0.0020 · FAIL 1100 tok $0.0020 · "
            "PASS 1100 tok $0.0020)",
            "  Tie: UNCLEAR 1/2 (PASS 0 tok $0.0000 · FAIL 0 tok $0.0000)",
            "UNCLEAR tests/test_tie.yaml::Tie: 1 of 1 runs: judges split 1–1 (1 PASS, 1 FAIL)*",
        ]
    )
    traces = [
        json.loads(line)
        for line in (voting.path / "out" / "per_trace.jsonl").read_text().splitlines()
    ]
    majority, tie = (t["judge"] for t in sorted(traces, key=lambda t: t["test_name"]))
    assert majority["agreement"] == "2/3"
    assert [(v["verdict"], v["reason"]) for v in majority["votes"]] == [
        ("PASS", "stored"),
        ("FAIL", "not stored"),
        ("PASS", "there"),
    ]
    assert majority["cost_usd"] == pytest.approx(0.006)
    assert (tie["verdict"], tie["agreement"]) == ("UNCLEAR", "1/2")

    html = (voting.path / "report.html").read_text()
    assert "judges agree 2/3" in html
    assert "judges split, no majority (1/2)" in html
    assert html.count('<tr data-verdict="') == 5
    assert '<div class="card" id="votes"><span class="muted">judge votes</span><b>5</b>' in html


def test_llm_judge_votes_in_the_ini_is_the_sessions_default(voting: pytest.Pytester) -> None:
    (voting.path / "verdicts.yaml").write_text("Majority: PASS\nTie: [FAIL, FAIL, PASS]\n")
    voting.makeini(
        "[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n"
        "llm_report_dir = out\nllm_judge_votes = 3\n"
    )
    result = run(voting, "--llm")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["  Tie: FAIL 2/3 (*)"])


def test_a_bad_votes_option_is_a_usage_error(voting: pytest.Pytester) -> None:
    result = run(voting, "--llm", "--llm-judge-votes", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--llm-judge-votes*whole number ≥ 1*"])


def test_votes_run_ahead_under_llm_parallel_one_judge_call_at_a_time(
    voting: pytest.Pytester,
) -> None:
    result = run(
        voting,
        "--llm",
        "--llm-judge-votes",
        "2",
        "--llm-parallel",
        "2",
        "--llm-concurrency",
        "1",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["  Majority: PASS 2/3 (*)", "  Tie: UNCLEAR 1/2 (*)"])
