"""Overrides must match the spec: a path that matches nothing is an error with the closest path,
a new var is asked for with `+vars.NAME=...`, and a session override that sets what an
experiment sets is told in the session header."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import run, write

LIMITS = """\
    test:
      name: "Limits"
    vars:
      limit: 3
    experiments:
      - name: small
        overrides: {vars.limit: 1}
      - name: large
        overrides: {vars.limit: 50}
    steps:
      - tool: store_value
        args: {name: limit, value: "${vars.limit}"}
    """

PLAIN = """\
    test:
      name: "Plain"
    vars:
      limit: 3
    steps:
      - tool: store_value
        args: {name: limit, value: "${vars.limit}"}
        check: result.value == vars.limit
    """


def test_a_typo_in_a_var_is_an_error_that_suggests_the_declared_one(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    result = run(pytester, "--llm", "--llm-override", "vars.limt=5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: llm-pytest: override `vars.limt` from --llm-override matches nothing in any "
            "spec collected; in tests/llm/test_plain.yaml: `vars` has no `limt`",
            "  hint: did you mean `vars.limit`? (to add `limt`, write the path as `+vars.limt` "
            "or declare it under `vars:` in the spec)",
        ]
    )


def test_a_new_var_needs_a_plus_and_then_is_readable(pytester: pytest.Pytester) -> None:
    text = PLAIN.replace('"${vars.limit}"', '"${vars}"').replace("== vars.limit", ".extra == 3")
    write(pytester, "tests/llm/test_plain.yaml", text)
    refused = run(pytester, "--llm", "--llm-override", "vars.extra=3")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(
        [
            "*override `vars.extra` from --llm-override matches nothing in any spec collected; "
            "in tests/llm/test_plain.yaml: `vars` has no `extra`",
            "  hint: to add `extra`, write the path as `+vars.extra` or declare it under `vars:` "
            "in the spec",
        ]
    )
    run(pytester, "--llm", "--llm-override", "+vars.extra=3").assert_outcomes(passed=1)


def test_an_override_applies_where_it_matches_and_leaves_other_specs_alone(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    write(
        pytester,
        "tests/llm/test_other.yaml",
        """\
        test:
          name: "Other"
        steps:
          - tool: store_value
            args: {name: other, value: "${vars}"}
            check: result.value == {}
        """,
    )
    result = run(pytester, "--llm", "--llm-override", "vars.limit=9", "-v")
    result.assert_outcomes(passed=2)


def test_a_typo_in_a_key_of_the_language_suggests_the_key(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    result = run(pytester, "--llm", "--llm-override", "test.timout=5")
    result.stderr.fnmatch_lines(
        [
            "*override `test.timout` from --llm-override matches nothing in any spec "
            "collected; in tests/llm/test_plain.yaml: `test` has no key `timout`",
            "  hint: did you mean `test.timeout`?",
        ]
    )


def test_an_ini_override_matching_no_spec_collected_is_told_but_runs(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    pytester.makeini("[pytest]\nllm_overrides =\n    vars.region=eu\n")
    result = run(pytester, "--llm")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "collected 1 item",
            "llm-pytest override `vars.region` from ini llm_overrides matches nothing in the "
            "specs collected (in tests/llm/test_plain.yaml: `vars` has no `region`)",
        ]
    )


def test_a_key_the_spec_leaves_out_can_still_be_set(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    args = ("--llm-override", "test.timeout=5", "--llm-override", "judge.model=some-model")
    run(pytester, "--llm", *args).assert_outcomes(passed=1)


def test_an_experiment_override_that_matches_nothing_points_at_its_key(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester, "tests/llm/test_limits.yaml", LIMITS.replace("{vars.limit: 1}", "{vars.lim: 1}")
    )
    result = run(pytester, "--llm")
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_limits.yaml:7:17: override `vars.lim` from experiment `small` matches "
            "nothing in the spec: `vars` has no `lim`",
            "  hint: did you mean `vars.limit`?*",
        ]
    )


def test_a_session_override_of_what_experiments_set_is_told_in_the_header(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_limits.yaml", LIMITS)
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    result = run(pytester, "--llm", "--llm-override", "vars.limit=7", "--llm-deadline", "30")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "collected 3 items",
            "llm-pytest override `vars.limit` from --llm-override also replaces what experiments "
            "set, so they no longer differ there: tests/llm/test_limits.yaml::Limits[small], "
            "tests/llm/test_limits.yaml::Limits[large]",
        ]
    )
    assert "test.deadline" not in result.stdout.str()
    quiet = run(pytester, "--llm", "--llm-override", "test.timeout=5")
    assert "also replaces what experiments set" not in quiet.stdout.str()


def test_under_xdist_an_override_matching_no_spec_fails_each_item_saying_why(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "tests/llm/test_plain.yaml", PLAIN)
    result = run(pytester, "--llm", "-n", "2", "--llm-override", "vars.limt=5")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "override `vars.limt` from --llm-override matches nothing in any spec collected; in "
            "tests/llm/test_plain.yaml: `vars` has no `limt`",
            "  hint: did you mean `vars.limit`?*",
        ]
    )
