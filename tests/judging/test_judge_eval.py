"""`llm-pytest judge-eval`: a judge measured on labelled cases, through the real judge path."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from llm_pytest.cli.main import main
from llm_pytest.judging.calibration import case_trace, load_cases, starter_path
from llm_pytest.judging.prompt import JudgePrompt

from .fakes.llm_server import Answer, Received, openai_completion, serving

CASES = """\
cases:
  - name: ids-unique
    expected: PASS
    steps:
      - name: Fetch users
        tool: api_get_users
        args: {limit: 2}
        result: {users: [{id: 1, email: a@example.com}, {id: 2, email: b@example.com}]}
        expect: The ids are unique
  - name: ids-duplicate
    expected: FAIL
    why: id 1 twice
    steps:
      - name: Fetch users
        tool: api_get_users
        args: {limit: 2}
        result: {users: [{id: 1, email: a@example.com}, {id: 1, email: b@example.com}]}
        expect: The ids are unique
  - name: email-malformed
    expected: FAIL
    steps:
      - tool: api_get_users
        result: {users: [{id: 1, email: a.example.com}]}
        expect: Every email is well formed
"""


def _eval(*args: str | Path) -> int:
    return main(["judge-eval", *map(str, args)])


@pytest.fixture
def cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cases.yaml"
    path.write_text(CASES, encoding="utf-8")
    return path


def _script(tmp_path: Path, text: str) -> str:
    (tmp_path / "verdicts.yaml").write_text(text, encoding="utf-8")
    return "script=verdicts.yaml"


def test_the_starter_set_is_packaged_with_at_least_30_cases_of_both_labels() -> None:
    path = starter_path()
    assert path.is_file()
    assert path.parent.parent.name == "judging"  # inside the package: it ships in the wheel
    loaded = load_cases()
    names = [c.case.name for c in loaded]
    assert len(names) >= 30
    assert len(set(names)) == len(names)
    labels = [c.case.expected for c in loaded]
    assert labels.count("PASS") >= 10
    assert labels.count("FAIL") >= 10
    # the subtle faults the set is about are all there
    joined = " ".join(names)
    for fault in ("duplicate-id", "email-without-at", "one-short", "total-off-by-one"):
        assert fault in joined


def test_a_judge_that_passes_everything_has_false_passes_listed_first(
    cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setting = _script(tmp_path, '"*": PASS\n')
    code = _eval(cases, "--llm-provider", "scripted", "--llm-judge-setting", setting)
    out = capsys.readouterr().out.splitlines()
    assert code == 0  # no --min-agreement: a measurement, not a gate
    flagged = [line for line in out if line.startswith(("FALSE", "UNCLEAR"))]
    assert [line.split()[:3] for line in flagged] == [
        ["FALSE", "PASS", "ids-duplicate"],
        ["FALSE", "PASS", "email-malformed"],
    ]
    assert f"{cases}:10:5" in flagged[0]
    assert "(why: id 1 twice)" in flagged[0]
    assert "agreement: 1 of 3 cases (33.3%); false passes: 2; false fails: 0; UNCLEAR: 0" in out
    assert "  cases that must fail: 0 of 2 judged FAIL (0.0%)" in out


def test_false_passes_come_before_false_fails_and_unclear_answers(
    cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setting = _script(tmp_path, "ids-unique: FAIL\nids-duplicate: UNCLEAR\nemail-malformed: PASS\n")
    _eval(cases, "--llm-provider", "scripted", "--llm-judge-setting", setting)
    out = capsys.readouterr().out
    order = [out.index(s) for s in ("FALSE PASS email", "FALSE FAIL ids-unique", "UNCLEAR (")]
    assert order == sorted(order)
    assert "UNCLEAR (the judge could not decide) ids-duplicate" in out


@pytest.mark.parametrize(("minimum", "code"), [("66%", 0), ("0.67", 1), ("100%", 1)])
def test_agreement_below_min_agreement_exits_1(
    cases: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    minimum: str,
    code: int,
) -> None:
    setting = _script(tmp_path, "ids-unique: PASS\nids-duplicate: FAIL\nemail-malformed: PASS\n")
    args = ["--llm-provider", "scripted", "--llm-judge-setting", setting]
    assert _eval(cases, *args, "--min-agreement", minimum) == code
    out = capsys.readouterr().out
    assert ("FAILED: agreement 66.7% is below --min-agreement" in out) == (code == 1)


def test_the_results_are_written_as_json(
    cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setting = _script(
        tmp_path,
        '"*": {verdict: FAIL, reason: bad, input_tokens: 10, output_tokens: 2, cost_usd: 0.5}\n',
    )
    _eval(cases, "--llm-provider", "scripted", "--llm-judge-setting", setting, "--json", "r.json")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["agreed"] == 2
    assert data["false_fails"] == 1
    assert data["tokens"] == 36
    assert data["cost_usd"] == pytest.approx(1.5)
    names = [r["case"] for r in data["results"]]
    assert names == ["ids-unique", "ids-duplicate", "email-malformed"]
    assert "judge: 36 tokens, $1.5000" in capsys.readouterr().out


def _by_label(labels: dict[str, str]) -> object:
    def answer(received: Received) -> Answer:
        prompt = received.body["messages"][1]["content"]
        name = re.search(r"^- Name: (\S+)$", prompt, re.MULTILINE)
        assert name is not None
        verdict = labels[name[1]]
        return openai_completion(
            json.dumps({"verdict": verdict, "reason": "r", "steps": [], "issues": []}),
            model="gpt-4.1-mini",
        )

    return answer


def test_an_openai_compatible_judge_gets_the_prompt_of_a_real_run(
    cases: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_cases(cases)
    labels = {c.case.name: c.case.expected for c in loaded}
    with serving(_by_label(labels)) as server:  # type: ignore[arg-type]
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        code = _eval(cases, "--llm-provider", "openai", "--min-agreement", "100%")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "agreement: 3 of 3 cases (100.0%)" in out
    # 3 cases x 1000 prompt + 100 completion tokens, priced as gpt-4.1-mini
    assert "judge: 3300 tokens, $0.0017" in out
    prompts = {
        re.search(r"^- Name: (\S+)$", r.body["messages"][1]["content"], re.MULTILINE)[1]: r.body  # type: ignore[index]
        for r in server.received
    }
    expected = JudgePrompt().render(case_trace(loaded[1]), max_result_chars=4000)
    assert prompts["ids-duplicate"]["messages"][1]["content"] == expected
    assert prompts["ids-duplicate"]["response_format"]["type"] == "json_schema"


def test_the_starter_set_runs_against_a_judge_that_knows_the_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    labels = {c.case.name: c.case.expected for c in load_cases()}
    with serving(_by_label(labels)) as server:  # type: ignore[arg-type]
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        code = _eval("--llm-provider", "openai", "--min-agreement", "1")
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"agreement: {len(labels)} of {len(labels)} cases (100.0%)" in out
    assert "FALSE" not in out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_judge_is_no_measurement_and_exits_1(
    cases: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    code = _eval(cases, "--llm-provider", "openai", "--llm-judge-setting", "max_retries=0")
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("UNCLEAR (the judge failed)") == 3
    assert "agreement: 0 of 3 cases (0.0%)" in out
    assert "FAILED: the judge gave no verdict on 3 of 3 cases" in out


def test_without_a_judge_judge_eval_is_a_usage_error(
    cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(cases, "--llm-provider", "offline") == 2
    err = capsys.readouterr().err
    assert "no judge to ask" in err
    assert "--llm-provider" in err


def test_an_unknown_judge_setting_names_the_closest(
    cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(cases, "--llm-provider", "scripted", "--llm-judge-setting", "scrpt=x") == 2
    assert "unknown judge setting `scrpt`; did you mean `script`?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (CASES.replace("expected: FAIL\n    why", "expected: MAYBE\n    why"), ":11:15", "FAIL"),
        (CASES.replace("        expect: Every email is well formed\n", ""), ":19:5", "to judge"),
        (CASES.replace("name: email-malformed", "name: ids-unique"), ":19:11", "two cases"),
        ("- name: x\n", ":1:1", "`cases:`"),
        (CASES.replace("- tool: api_get_users\n", "- tol: api_get_users\n"), ":22:9", "`tool`?"),
    ],
    ids=["bad-label", "nothing-to-judge", "duplicate-name", "not-a-mapping", "unknown-key"],
)
def test_a_malformed_case_file_is_an_error_at_its_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    where: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cases.yaml").write_text(text, encoding="utf-8")
    assert _eval("cases.yaml", "--llm-provider", "scripted") == 1
    err = capsys.readouterr().err
    assert f"cases.yaml{where}" in err
    assert message in err
    assert "Traceback" not in err


def test_judge_eval_measures_a_consensus_of_votes(
    cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # one vote in three is wrong for every case: the majority is right every time
    setting = _script(
        tmp_path,
        "ids-unique: [PASS, FAIL, PASS]\n"
        "ids-duplicate: [FAIL, PASS, FAIL]\n"
        "email-malformed: [PASS, FAIL, FAIL]\n",
    )
    code = _eval(
        cases,
        "--llm-provider",
        "scripted",
        "--llm-judge-setting",
        setting,
        "--llm-judge-votes",
        "3",
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "judge: scripted (set with --llm-provider or ini llm_provider), 3 votes per run" in out
    assert "agreement: 3 of 3 cases (100.0%); false passes: 0; false fails: 0; UNCLEAR: 0" in out
