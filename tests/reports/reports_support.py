"""Item records made by really running small specs, for the report tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from llm_pytest.api import run_spec
from llm_pytest.judging.judge import make_judge
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import JudgeRecord, RunTrace
from llm_pytest.model.verdict import Judge, OfflineJudge
from llm_pytest.reports.records import ItemRecord, record_of
from llm_pytest.runtime.tools import build_registry

SPECS = """\
test:
  name: "Half"
  iterations: 4
  min_pass_rate: 0.5
steps:
  - name: "Store the iteration"
    tool: store_value
    args: {name: i, value: "${iteration}"}
    check: result.value % 2 == 1
---
test:
  name: "Judged <b>bold</b>"
steps:
  - name: "Echo markup"
    tool: store_value
    args: {name: html, value: "<script>alert('x')</script>"}
    expect: "The value is stored"
---
test:
  name: "Unjudged"
steps:
  - tool: store_value
    args: {name: a, value: 1}
    expect: "The value is stored"
"""

VERDICTS = """\
"Judged <b>bold</b>":
  verdict: FAIL
  reason: "the stored value is markup: <script>"
  issues: ["values should be plain text"]
  steps: [{name: "Echo markup", ok: false, finding: "it is <script>"}]
  input_tokens: 100
  output_tokens: 20
  cost_usd: 0.5
"""

NO_JUDGE = "no judge for this item"


def run_records(tmp_path: Path) -> list[ItemRecord]:
    """Records of the three items above: flaky pass, judged failure, all-UNCLEAR skip."""
    spec = tmp_path / "test_specs.yaml"
    spec.write_text(SPECS, encoding="utf-8")
    script = tmp_path / "verdicts.yaml"
    script.write_text(textwrap.dedent(VERDICTS), encoding="utf-8")
    scripted, _ = make_judge("scripted", settings={"script": str(script)})
    judge = _UnjudgedHasNoJudge(scripted)
    result = run_spec(spec, judge=judge, registry=build_registry(), concurrency=1)
    return [
        record_of(
            item, nodeid=f"specs::{item.plan.item_name}", group="specs", label=item.plan.item_name
        )
        for item in result.items
    ]


class _UnjudgedHasNoJudge:
    """The scripted judge, except that `Unjudged` meets no judge (so its item is skipped)."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.offline = OfflineJudge(NO_JUDGE)

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        judge = self.offline if trace.test_name == "Unjudged" else self.judge
        return await judge(trace, spec)
