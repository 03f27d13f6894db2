"""Matching a judge's per-step findings to the steps of a run, however the model names them."""

from __future__ import annotations

import pytest

from llm_pytest.errors import SourceLocation
from llm_pytest.model.trace import StepRecord
from llm_pytest.reports.findings import finding_step


def step(id: str, name: str | None, tool: str = "my_api_create_user") -> StepRecord:
    return StepRecord(id, "steps", "tool", name, tool, SourceLocation("t.yaml", len(id), 5))


STEPS = [
    step("steps[0]", "Create a user"),
    step("steps[1]", "2FA login"),
    step("steps[2]", None, tool="store_value"),
    step("steps[3].steps[0]", "Create a user"),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Create a user", "steps[0]"),
        ("1. Create a user", "steps[0]"),
        ("1) Create a user", "steps[0]"),
        ("Step 1: Create a user", "steps[0]"),
        ("#1 - Create a user", "steps[0]"),
        ("**1. Create a user**", "steps[0]"),
        ('"create a user"', "steps[0]"),
        ("2FA login", "steps[1]"),
        ("2. 2FA login", "steps[1]"),
        ("store_value", "steps[2]"),
        ("3. store_value", "steps[2]"),
        ("steps[3].steps[0]", "steps[3].steps[0]"),
        ("Create a user (steps[3].steps[0])", "steps[3].steps[0]"),
        ("3", "steps[2]"),
        ("Step 4", "steps[3].steps[0]"),
        ("2. Log in with a second factor", "steps[1]"),
    ],
)
def test_a_finding_names_its_step_by_name_number_or_id(name: str, expected: str) -> None:
    found = finding_step({"name": name, "ok": False, "finding": "x"}, STEPS)
    assert found is not None
    assert found.id == expected


@pytest.mark.parametrize("name", ["Delete the user", "9. Delete the user", "12", ""])
def test_a_finding_about_no_step_of_the_run_matches_none(name: str) -> None:
    assert finding_step({"name": name, "ok": False}, STEPS) is None
