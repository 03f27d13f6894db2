"""Lint of `schema`, `snapshot` and `snapshot_ignore`: E205, E206, W111, W112."""

from __future__ import annotations

from pathlib import Path

from .support import codes, lint


def test_an_invalid_schema_is_e205_at_the_broken_keyword_with_what_to_do(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: bad schema}
        steps:
          - tool: list_values
            schema: {properties: {values: {minProperties: -1}}}
        """,
    )
    (finding,) = report.findings
    assert finding.code == "E205"
    assert (finding.location.line, finding.location.col) == (4, 51)
    assert "is not a valid JSON Schema at `properties.values.minProperties`" in finding.message
    assert finding.hint is not None
    assert "draft 2020-12" in finding.hint


def test_a_schema_file_that_is_not_json_is_e205(tmp_path: Path) -> None:
    (tmp_path / "values.json").write_text("{not json", encoding="utf-8")
    report = lint(
        tmp_path,
        """\
        test: {name: broken file}
        steps:
          - tool: list_values
            schema: {file: values.json}
        """,
    )
    (finding,) = report.findings
    assert finding.code == "E205"
    assert "the schema file `values.json` is not valid JSON" in finding.message


def test_a_ref_to_a_missing_file_in_a_schema_file_is_e206_at_the_spec_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "values.json").write_text('{"$ref": "parts/missing.json"}', encoding="utf-8")
    report = lint(
        tmp_path,
        """\
        test: {name: missing ref}
        steps:
          - tool: list_values
            schema: {file: values.json}
        """,
    )
    (finding,) = report.findings
    assert finding.code == "E206"
    assert finding.location.line == 4
    assert "`missing.json` (named by `$ref: parts/missing.json`) does not exist" in finding.message


def test_ignoring_the_volatile_fields_silences_w112(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: timing ignored}
        steps:
          - tool: run_command
            args: {argv: [echo, hello]}
            snapshot: true
            snapshot_ignore: [duration_ms]
        """,
    )
    assert codes(report) == []


def test_a_snapshot_of_an_expected_error_warns_about_the_call_duration(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: error snapshot}
        steps:
          - tool: read_file
            args: {path: absent.txt}
            expect_error: "not found"
            snapshot: true
        """,
    )
    (finding,) = report.findings
    assert finding.code == "W112"
    assert "`duration_ms` of the call differ on every call" in finding.message
    assert finding.hint == "add them to `snapshot_ignore: [duration_ms]`"


def test_a_bad_ignore_path_is_located_at_the_character_that_breaks_it(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: bad path}
        steps:
          - tool: list_values
            snapshot: true
            snapshot_ignore: ["users[*]..id"]
        """,
    )
    (finding,) = report.findings
    assert finding.code == "E203"
    assert (finding.location.line, finding.location.col) == (5, 32)
    assert "`users[*]..id` is not a path into the result" in finding.message


def test_two_steps_of_one_test_sharing_a_snapshot_name_is_an_error(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: twins}
        steps:
          - tool: list_values
            snapshot: values
          - tool: list_values
            snapshot: values
        """,
    )
    (finding,) = report.findings
    assert finding.code == "E203"
    assert finding.location.line == 6
    assert "the snapshot `values` of `twins` is also taken by the step at" in finding.message


def test_a_schema_or_a_snapshot_counts_as_asserting_something(tmp_path: Path) -> None:
    for key in ("schema: {type: object}", "snapshot: true"):
        report = lint(
            tmp_path,
            f"""\
            test: {{name: asserts}}
            steps:
              - tool: list_values
                {key}
            """,
        )
        assert codes(report) == [], key
