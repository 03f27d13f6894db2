"""A file with errors gets its warnings and tool findings too, so one run shows everything."""

from __future__ import annotations

from pathlib import Path

from llm_pytest.errors import SourceLocation, SpecError
from llm_pytest.lint.classify import finding_from_error

from .support import lint, write


def _found(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    return [(f.code, f.location.line) for f in lint(tmp_path, text).findings]


def test_warnings_are_reported_for_a_test_that_also_has_an_undefined_name(
    tmp_path: Path,
) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: errors and warnings, timeout: 10}
        steps:
          - tool: store_value
            args: {name: k, value: "${nope}"}
            save_as: saved
            timeout: 30
            retry_delay: 2
            until: result.stored == "k"
        """,
    ) == [("W101", 1), ("E302", 4), ("W103", 5), ("W104", 6), ("W105", 7), ("W106", 8)]


def test_warnings_are_reported_for_a_test_whose_check_does_not_parse(tmp_path: Path) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: broken check}
        steps:
          - tool: list_values
            check: result.values ==
            retry_delay: 2
        """,
    ) == [("E301", 4), ("W105", 5)]


def test_until_that_does_not_parse_on_a_step_without_retry_is_still_flagged(
    tmp_path: Path,
) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: broken until}
        steps:
          - tool: get_value
            args: {name: job}
            until: result.found ==
            check: result.found
        """,
    ) == [("W106", 5), ("E301", 5)]


def test_a_test_whose_only_assertion_does_not_parse_is_not_said_to_assert_nothing(
    tmp_path: Path,
) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: broken expect}
        steps:
          - tool: list_values
            expect: "The values are ${result.values"
        """,
    ) == [("E301", 4)]


def test_a_save_as_read_only_by_an_expression_that_does_not_parse_is_not_called_unused(
    tmp_path: Path,
) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: broken read}
        steps:
          - tool: store_value
            args: {name: k, value: 1}
            save_as: saved
            check: result.stored == "k"
          - tool: get_value
            args: {name: k}
            check: result.value == saved.value +
        """,
    ) == [("E301", 9)]


def test_a_vague_expect_whose_analyze_does_not_parse_is_not_called_vague(
    tmp_path: Path,
) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: broken analyze}
        steps:
          - tool: list_values
            expect: "Request should complete"
            analyze: "Check ${result.values"
        """,
    ) == [("E301", 5)]


def test_warnings_are_reported_for_a_test_with_a_duplicate_name(tmp_path: Path) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: twice}
        steps:
          - tool: list_values
            check: result.values == {}
        ---
        test: {name: twice}
        steps:
          - tool: list_values
            retry_delay: 2
            check: result.values == {}
        """,
    ) == [("E204", 6), ("W105", 9)]


def test_warnings_of_the_test_as_written_are_reported_when_its_experiment_breaks(
    tmp_path: Path,
) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: bad override}
        experiments:
          - name: slow
            overrides: {steps.3.retry: 2}
        steps:
          - tool: list_values
            retry_delay: 2
            check: result.values == {}
        """,
    ) == [("E501", 4), ("W105", 7)]


def test_a_document_that_does_not_validate_gets_its_errors_only(tmp_path: Path) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: invalid, timeout: soon}
        steps:
          - tool: list_vlues
            retry_delay: 2
        """,
    ) == [("E203", 1)]


def test_tools_of_a_fragment_are_checked_when_the_test_has_other_errors(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        fragments:
          remember:
            params: [key]
            steps:
              - tool: store_vlue
                args: {name: "${key}", value: 1}
        """,
        "common/fragments.yaml",
    )
    report = lint(
        tmp_path,
        """\
        test: {name: fragment and error}
        imports: [common/fragments.yaml]
        steps:
          - use: remember
            with: {key: "${nope}"}
          - tool: list_values
            check: result.values == {}
        """,
    )
    fragments = str(tmp_path / "common" / "fragments.yaml")
    assert [(f.code, f.location.path, f.location.line) for f in report.findings] == [
        ("E401", fragments, 5),
        ("E302", str(tmp_path / "test_spec.yaml"), 5),
    ]


def test_an_argument_whose_template_does_not_parse_is_not_type_checked(tmp_path: Path) -> None:
    assert _found(
        tmp_path,
        """\
        test: {name: broken template}
        steps:
          - tool: sleep
            args: {seconds: "${wait"}
            check: result.slept == 1
        """,
    ) == [("E301", 4)]


def test_a_key_holding_a_template_is_flagged_wherever_it_is(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: templated keys}
        vars:
          "${name}": 1
        steps:
          - tool: store_value
            args:
              name: k
              value: {"${vars.key}": 1, nested: [plain]}
            check: result.stored == "k"
        """,
    )
    assert [(f.code, f.location.line, f.location.col) for f in report.findings] == [
        ("W107", 3, 3),
        ("W107", 8, 15),
    ]
    assert "keys are not interpolated" in report.findings[0].message


def test_a_template_in_a_value_is_not_taken_for_a_key(tmp_path: Path) -> None:
    assert (
        _found(
            tmp_path,
            """\
        test: {name: value templates}
        vars:
          user: alice
          greeting: "hello ${vars.user}"
        steps:
          - tool: store_value
            args: {name: k, value: "${vars.greeting}"}
            check: result.stored == "k"
        """,
        )
        == []
    )


def test_an_error_is_coded_by_its_kind_not_by_its_wording() -> None:
    where = SourceLocation("s.yaml", 3, 5)
    codes = {
        kind: finding_from_error(SpecError("reworded message", where, kind=kind), "s.yaml").code
        for kind in ("unknown_key", "missing_key", "duplicate_test", "fragment", "import")
    }
    assert codes == {
        "unknown_key": "E201",
        "missing_key": "E202",
        "duplicate_test": "E204",
        "fragment": "E502",
        "import": "E503",
    }
    assert finding_from_error(SpecError("anything else"), "s.yaml").code == "E203"
