"""The summary's `judge votes:` lines: every vote's verdict, tokens and cost, a line per run
judged by votes, the first 20 of them."""

from __future__ import annotations

from llm_pytest.model.trace import JudgeRecord, RunTrace
from llm_pytest.reports.records import ItemRecord
from llm_pytest.reports.terminal import summary_table, vote_lines


def voted_record(label: str, runs: int) -> ItemRecord:
    def judged(iteration: int) -> RunTrace:
        votes = [
            JudgeRecord(
                "PASS", "fine", "openai", input_tokens=900, output_tokens=100, cost_usd=0.001
            ),
            JudgeRecord(
                "FAIL", "bad", "openai", input_tokens=900, output_tokens=100, cost_usd=0.001
            ),
        ]
        judge = JudgeRecord(
            "UNCLEAR",
            "judges split 1–1 (1 PASS, 1 FAIL): PASS: fine; FAIL: bad",
            "openai",
            input_tokens=1800,
            output_tokens=200,
            cost_usd=0.002,
            unclear="undecided",
            votes=votes,
            agreement="1/2",
        )
        return RunTrace("t.yaml", label, None, iteration, outcome="UNCLEAR", judge=judge)

    return ItemRecord(
        nodeid=f"t.yaml::{label}",
        group="t.yaml",
        label=label,
        spec="t.yaml",
        item=label,
        test=label,
        experiment=None,
        outcome="failed",
        min_pass_rate=1.0,
        runs=[judged(i) for i in range(1, runs + 1)],
    )


def test_each_voted_run_shows_its_votes_with_their_tokens_and_cost() -> None:
    lines = vote_lines([voted_record("Tie", 2)])
    assert lines == [
        "judge votes: 4 in 2 runs, 2 split; 4000 tokens, $0.0040 ($0.0010 a vote)",
        "  Tie run 1: UNCLEAR 1/2 (PASS 1000 tok $0.0010 · FAIL 1000 tok $0.0010)",
        "  Tie run 2: UNCLEAR 1/2 (PASS 1000 tok $0.0010 · FAIL 1000 tok $0.0010)",
    ]


def test_many_voted_runs_are_cut_saying_where_the_rest_are() -> None:
    lines = vote_lines([voted_record("Many", 25)])
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  … 5 more runs judged by votes (see the HTML report)"


def test_a_session_without_votes_has_no_vote_lines() -> None:
    record = voted_record("Plain", 1)
    record.runs[0].judge = JudgeRecord("PASS", "fine", "openai")
    assert vote_lines([record]) == []
    assert not any(line.startswith("judge votes") for line in summary_table([record]))
