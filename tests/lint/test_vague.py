"""The heuristic behind W102: which expectations only ask that a step succeeded."""

from __future__ import annotations

import pytest

from llm_pytest.lint.vague import is_vague


@pytest.mark.parametrize(
    "text",
    [
        "Request should complete",
        "Should return result",
        "It works",
        "The call should succeed without errors",
        "Should not fail",
        "No error",
        "Returns OK",
        "Should complete processing",
        "Should eventually succeed",
    ],
)
def test_success_only_wording_is_vague(text: str) -> None:
    assert is_vague(text)


@pytest.mark.parametrize(
    "text",
    [
        "Response should contain exactly 10 users with valid data",
        "User is created with a valid id and timestamp",
        "Returns the user",
        "Status is 200",
        "The value equals ${created.value}",
        "Service should become ready",
        "errors",
        "",
        "The request should complete and the response should list every order of the customer",
    ],
)
def test_expectations_that_name_something_concrete_are_not_vague(text: str) -> None:
    assert not is_vague(text)
