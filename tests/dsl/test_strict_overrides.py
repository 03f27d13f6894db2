"""Overrides must match the spec: a path matching nothing is an error with the closest path, `+`
adds what the spec lacks, and an override given for a whole file applies where it matches."""

from __future__ import annotations

import pytest

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.dsl.overrides import NoMatch, Override, overlapping, parse_override
from llm_pytest.errors import SpecErrors

SPEC = """\
test:
  name: "Users"
vars:
  limit: 3
steps:
  - tool: api_list_users
    args: {limit: "${vars.limit}"}
"""

OTHER = """\
---
test:
  name: "Other"
steps:
  - tool: api_ping
"""


def _error(text: str, *overrides: str) -> NoMatch:
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "c.yaml", overrides=[parse_override(o) for o in overrides])
    (err,) = info.value.errors
    assert isinstance(err, NoMatch)
    return err


def test_a_var_the_spec_does_not_declare_is_an_error_suggesting_the_closest() -> None:
    err = _error(SPEC, "vars.limt=5")
    assert err.message == (
        "override `vars.limt` from --llm-override matches nothing in the spec: `vars` has no `limt`"
    )
    assert err.hint == (
        "did you mean `vars.limit`? (to add `limt`, write the path as `+vars.limt` or declare "
        "it under `vars:` in the spec)"
    )


def test_a_key_that_is_not_in_the_language_suggests_the_key_that_is() -> None:
    assert _error(SPEC, "test.iteration=3").hint == "did you mean `test.iterations`?"
    assert _error(SPEC, "steps.0.retries=3").hint == "did you mean `steps.0.retry`?"
    assert _error(SPEC, "judge.modle=x").hint == "did you mean `judge.model`?"


def test_a_key_of_the_language_the_spec_leaves_out_may_be_set() -> None:
    overrides = ["test.timeout=5", "test.deadline=9", "judge.model=m", "steps.0.retry=2"]
    (plan,) = compile_text(SPEC, overrides=[parse_override(o) for o in overrides])
    assert (plan.timeout, plan.deadline, plan.judge.model) == (5, 9, "m")


def test_a_plus_adds_a_var_or_an_argument_the_spec_lacks() -> None:
    ovs = [parse_override("+vars.region=eu"), parse_override("+steps.0.args.verbose=true")]
    (plan,) = compile_text(SPEC, overrides=ovs)
    assert plan.vars == {"limit": 3, "region": "eu"}
    assert plan.steps[0].args["verbose"] is True  # type: ignore[union-attr]
    assert [path for path, _, _ in plan.overrides] == ["vars.region", "steps.0.args.verbose"]


def test_an_override_for_a_file_applies_to_the_tests_it_matches_and_leaves_the_others() -> None:
    users, other = compile_text(SPEC + OTHER, overrides=[parse_override("vars.limit=9")])
    assert users.vars == {"limit": 9}
    assert (other.vars, other.overrides) == ({}, ())


def test_an_override_matching_no_test_of_the_file_is_an_error() -> None:
    assert "`vars` has no `nope`" in _error(SPEC + OTHER, "vars.nope=1").message


def test_an_override_not_required_to_match_is_left_out_silently() -> None:
    lenient = Override("vars.nope", 1, "a session", required=False)
    (plan,) = compile_text(SPEC, overrides=[lenient])
    assert plan.vars == {"limit": 3}


def test_an_experiment_override_must_match_its_test() -> None:
    text = SPEC + "experiments:\n  - name: e\n    overrides: {vars.lim: 1}\n"
    err = _error(text)
    assert str(err).startswith(
        "c.yaml:10:17: override `vars.lim` from experiment `e` matches nothing in the spec"
    )
    (plan,) = compile_text(text.replace("{vars.lim:", "{+vars.lim:"))
    assert plan.vars == {"limit": 3, "lim": 1}


def test_paths_overlap_when_one_sets_part_of_the_other() -> None:
    assert overlapping("vars.limit", "vars.limit")
    assert overlapping("vars", "vars.limit") and overlapping("vars.limit", "vars")
    assert not overlapping("vars.limit", "vars.limits")
