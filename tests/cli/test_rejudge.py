"""`llm-pytest rejudge RUN_DIR`: a session's recorded runs judged again by another judge,
without running any tool, into a new run folder with a comparison of the verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_pytest.cli.main import main
from llm_pytest.reports.jsonl import read_run_dir
from tests.judging.fakes.llm_server import openai_completion, serving
from tests.pytest_plugin.plugin_support import run, write

JUDGED = """\
test: {{name: "{name}"}}
steps:
  - name: Count the call
    tool: run_command
    args: {{argv: [sh, -c, "echo {name} >> calls.log"]}}
    check: result.exit_code == 0
    expect: "The call is counted"
"""

BROKEN = """\
test: {name: "Broken"}
steps:
  - tool: store_value
    args: {name: a, value: 1}
    check: result.value == 2
    expect: "Never judged: the check fails first"
"""

FIRST = "Alpha: PASS\nBeta: PASS\nGamma: {verdict: FAIL, reason: the call is not counted}\n"
SECOND = (
    "Alpha: {verdict: FAIL, reason: the count is wrong}\nBeta: PASS\n"
    "Gamma: {verdict: PASS, reason: counted}\n"
)


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> Path:
    """A run folder written by a session judged by the scripted judge (Alpha and Beta PASS,
    Gamma FAIL; Broken fails its check and never reaches the judge)."""
    for name in ("Alpha", "Beta", "Gamma"):
        write(pytester, f"tests/test_{name.lower()}.yaml", JUDGED.format(name=name))
    write(pytester, "tests/test_broken.yaml", BROKEN)
    write(pytester, "first.yaml", FIRST)
    write(pytester, "second.yaml", SECOND)
    pytester.makeini(
        "[pytest]\nllm_provider = scripted\nllm_judge_script = first.yaml\nllm_report_dir = run1\n"
    )
    run(pytester, "--llm").assert_outcomes(passed=2, failed=2)
    assert len((pytester.path / "calls.log").read_text().splitlines()) == 3
    return pytester.path / "run1"


def test_rejudge_compares_the_verdicts_of_another_judge_without_running_a_tool(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = recorded.parent / "run2"
    code = main(
        [
            "rejudge",
            str(recorded),
            "--llm-provider",
            "scripted",
            "--llm-judge-setting",
            f"script={recorded.parent / 'second.yaml'}",
            "--out",
            str(new),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    comparison = [
        "tests/test_alpha.yaml::Alpha  PASS → FAIL",
        "tests/test_gamma.yaml::Gamma  FAIL → PASS",
        "item tests/test_alpha.yaml::Alpha: passed → failed",
        "item tests/test_gamma.yaml::Gamma: failed → passed",
        "2 of 3 verdicts changed, 2 item outcomes changed; 1 run never reached the judge "
        "(kept as recorded)",
        "judge cost: 0 tokens $0.0000 recorded, 0 tokens $0.0000 now",
    ]
    assert "comparison:\n" + "".join(f"  {line}\n" for line in comparison) in out
    assert f"rejudge: {recorded} with scripted (set with --llm-provider" in out
    assert (new / "comparison.txt").read_text().splitlines() == comparison
    # no tool ran again
    assert len((recorded.parent / "calls.log").read_text().splitlines()) == 3

    records = {r.label: r for r in read_run_dir(new)}
    assert {label: r.outcome for label, r in records.items()} == {
        "Alpha": "failed",
        "Beta": "passed",
        "Broken": "failed",
        "Gamma": "passed",
    }
    assert records["Alpha"].runs[0].reason == "the count is wrong"
    assert records["Broken"].runs[0].judge is None
    lines = [json.loads(line) for line in (new / "comparison.jsonl").read_text().splitlines()]
    assert [(e["nodeid"], e["before"], e["after"]) for e in lines] == [
        ("tests/test_alpha.yaml::Alpha", "PASS", "FAIL"),
        ("tests/test_beta.yaml::Beta", "PASS", "PASS"),
        ("tests/test_gamma.yaml::Gamma", "FAIL", "PASS"),
    ]
    # the recorded folder is untouched, and the new one is a run folder `report` reads
    assert {r.label: r.outcome for r in read_run_dir(recorded)}["Alpha"] == "passed"
    assert main(["report", str(new)]) == 0


def test_rejudge_sends_each_recorded_trace_to_an_openai_wire_judge(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fail = '{"verdict": "FAIL", "reason": "no", "steps": [], "issues": []}'
    with serving(lambda received: openai_completion(fail)) as server:
        code = main(
            [
                "rejudge",
                str(recorded),
                "--llm-provider",
                "openai",
                "--llm-model",
                "judge-2",
                "--llm-judge-setting",
                f"base_url={server.url}/v1",
                "--llm-judge-votes",
                "3",
                "--out",
                str(recorded.parent / "run2"),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0
    assert len(server.received) == 9  # three judged runs, three votes each
    assert {r.body["model"] for r in server.received} == {"judge-2"}
    prompts = [r.body["messages"][-1]["content"] for r in server.received]
    assert sum("Expectation: The call is counted" in p for p in prompts) == 9
    assert "tests/test_alpha.yaml::Alpha  PASS → FAIL (3/3)" in out
    assert "2 of 3 verdicts changed, 2 item outcomes changed" in out
    assert "judge votes: 9 in 3 runs" in out
    # the server answers as gpt-4.1-mini ($0.40 in, $1.60 out per million): 9 x (1000 in, 100 out)
    assert "judge cost: 0 tokens $0.0000 recorded, 9900 tokens $0.0050 now" in out


def test_rejudge_of_a_folder_that_is_no_run_folder_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rejudge", str(tmp_path), "--llm-provider", "scripted"])
    assert code == 2
    assert f"{tmp_path} is not a run folder: it has no items.jsonl" in capsys.readouterr().err


def test_rejudge_needs_a_judge_to_ask(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rejudge", str(recorded), "--llm-provider", "offline"]) == 2
    assert "no judge to ask" in capsys.readouterr().err


def test_rejudge_writes_its_run_folder_next_to_the_recorded_one(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = recorded.parent / ".pytest_cache" / "d" / "llm-pytest" / "runs"
    runs.mkdir(parents=True)
    first = runs / "20260101-120000"
    recorded.rename(first)
    script = f"script={recorded.parent / 'second.yaml'}"
    assert (
        main(["rejudge", str(first), "--llm-provider", "scripted", "--llm-judge-setting", script])
        == 0
    )
    [new] = [p for p in runs.iterdir() if p != first]
    assert (new / "comparison.txt").is_file()
    assert f"new run folder: {new}" in capsys.readouterr().out
