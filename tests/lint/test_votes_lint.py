"""W116: a consensus asked of a judge that answers the same every time."""

from __future__ import annotations

from pathlib import Path

from .support import codes, lint

SPEC = """\
test: {{name: voted}}
judge:
{judge}
steps:
  - tool: store_value
    args: {{name: a, value: 1}}
    expect: The value is stored
"""


def test_a_panel_of_scripted_judges_is_pointless(tmp_path: Path) -> None:
    report = lint(
        tmp_path, SPEC.format(judge="  panel: [{provider: scripted}, {provider: offline}]")
    )
    assert codes(report) == ["W116"]
    (finding,) = report.findings
    assert finding.location.line == 3
    assert "`judge.panel` of only offline and scripted judges" in finding.message
    assert finding.hint == "remove `panel`, or list judge LLMs in it"


def test_votes_of_a_judge_llm_or_of_the_sessions_judge_are_fine(tmp_path: Path) -> None:
    for judge in (
        "  provider: openai\n  votes: 3",
        "  votes: 3",
        "  provider: scripted\n  votes: 1",
        "  panel: [{provider: scripted}, {provider: openai}]",
    ):
        assert codes(lint(tmp_path, SPEC.format(judge=judge))) == [], judge
