"""Each finding code fires on a minimal spec, at the right line; a clean spec has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.lint import CODES

from .support import CLEAN, codes, lint, write

# code → (spec, line of the finding); every spec is clean but for that one problem
FIRING: dict[str, tuple[str, int]] = {
    "E101": ("test: {name: broken\nsteps: []\n", 2),
    "E201": (
        """\
        test: {name: typo}
        steps:
          - tool: list_values
            check: result.values == {}
            retry_dely: 2
        """,
        5,
    ),
    "E202": (
        """\
        test: {name: no tool}
        steps:
          - args: {name: k}
        """,
        3,
    ),
    "E203": (
        """\
        test: {name: bad timeout, timeout: thirty}
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        1,
    ),
    "E204": (
        """\
        test: {name: twice}
        steps:
          - tool: list_values
            check: result.values == {}
        ---
        test: {name: twice}
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        6,
    ),
    "E301": (
        """\
        test: {name: bad check}
        steps:
          - tool: list_values
            check: result.values ==
        """,
        4,
    ),
    "E302": (
        """\
        test: {name: undefined}
        steps:
          - tool: store_value
            args: {name: k, value: "${new_usr.id}"}
            check: result.stored == "k"
        """,
        4,
    ),
    "E401": (
        """\
        test: {name: unknown tool}
        steps:
          - tool: store_vlue
            args: {name: k, value: 1}
            check: result.stored == "k"
        """,
        3,
    ),
    "E402": (
        """\
        test: {name: missing argument}
        steps:
          - tool: store_value
            args: {name: k}
            check: result.stored == "k"
        """,
        4,
    ),
    "E403": (
        """\
        test: {name: unknown argument}
        steps:
          - tool: store_value
            args:
              name: k
              value: 1
              valeu: 2
            check: result.stored == "k"
        """,
        7,
    ),
    "E404": (
        """\
        test: {name: wrong type}
        steps:
          - tool: sleep
            args: {seconds: soon}
            check: result.slept == 1
        """,
        4,
    ),
    "E501": (
        """\
        test: {name: bad override}
        experiments:
          - name: slow
            overrides: {steps.3.retry: 2}
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        4,
    ),
    "E502": (
        """\
        test: {name: unknown fragment}
        steps:
          - use: login
        """,
        3,
    ),
    "E503": (
        """\
        test: {name: missing import}
        imports: [common/missing.yaml]
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        2,
    ),
    "W101": (
        """\
        test: {name: asserts nothing}
        steps:
          - tool: store_value
            args: {name: k, value: 1}
        """,
        1,
    ),
    "W102": (
        """\
        test: {name: vague}
        steps:
          - name: Fetch users
            tool: list_values
            expect: "Request should complete"
        """,
        5,
    ),
    "W103": (
        """\
        test: {name: unused}
        steps:
          - tool: store_value
            args: {name: k, value: 1}
            save_as: stored_k
            check: result.stored == "k"
        """,
        5,
    ),
    "W104": (
        """\
        test: {name: long step, timeout: 10}
        steps:
          - tool: sleep
            args: {seconds: 1}
            timeout: 30
            check: result.slept == 1
        """,
        5,
    ),
    "W105": (
        """\
        test: {name: delay}
        steps:
          - tool: list_values
            retry_delay: 2
            check: result.values == {}
        """,
        4,
    ),
    "W106": (
        """\
        test: {name: poll once}
        steps:
          - tool: get_value
            args: {name: job}
            until: result.found
            check: result.found
        """,
        5,
    ),
    "W107": (
        """\
        test: {name: templated key}
        vars:
          user: alice
          "${vars.user}_id": 7
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        4,
    ),
    "W108": (
        """\
        test: {name: tolerated expectation}
        steps:
          - tool: read_file
            args: {path: absent.txt}
            expect_error: "file not found"
            continue_on_error: true
        """,
        6,
    ),
    "E408": (
        """\
        test: {name: protocol}
        mcp_servers:
          notes: {command: python, args: [notes_server.py]}
        steps:
          - tool: mcp_list_tools
            args: {server: note}
            check: len(result.tools) > 0
        """,
        6,
    ),
    "W118": (
        """\
        test: {name: elicitation}
        mcp_servers:
          shop:
            command: python
            args: [shop_server.py]
            elicitation:
              - {action: accept, content: {email: ada@example.com}}
              - {action: decline, content: {email: ada@example.com}}
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        8,
    ),
    "W109": (
        """\
        test: {name: shell injection}
        vars: {name: "x; rm -rf ~"}
        steps:
          - tool: run_command
            args: {argv: [sh, -c, "echo hello ${vars.name}"]}
            check: result.exit_code == 0
        """,
        5,
    ),
    "W110": (
        """\
        test: {name: misspelt fixture, fixtures: [tmp_pth]}
        steps:
          - tool: list_values
            check: result.values == {}
        """,
        1,
    ),
    "W116": (
        """\
        test: {name: scripted votes}
        judge:
          provider: scripted
          votes: 3
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            check: result.stored == "a"
        """,
        4,
    ),
    "W117": (
        """        test: {name: shared server, iterations: 2}
        mcp_servers:
          notes:
            command: python
            args: [notes_server.py, "--db=notes-${iteration}.json"]
            scope: item
        steps:
          - tool: notes_count
            check: result == 0
        """,
        3,
    ),
    "W113": (
        """        test: {name: deadline, deadline: 10}
        steps:
          - tool: sleep
            args: {seconds: 1}
            timeout: 30
            check: result.slept == 1
        """,
        5,
    ),
    "E205": (
        """\
        test: {name: bad schema}
        steps:
          - tool: list_values
            schema:
              type: object
              required: id
        """,
        6,
    ),
    "E206": (
        """\
        test: {name: missing schema file}
        steps:
          - tool: list_values
            schema: {file: schemas/values.json}
        """,
        4,
    ),
    "W111": (
        """\
        test: {name: ignore without snapshot}
        steps:
          - tool: list_values
            check: result.values == {}
            snapshot_ignore: [values]
        """,
        5,
    ),
    "W112": (
        """\
        test: {name: snapshot of a timing}
        steps:
          - tool: run_command
            args: {argv: [echo, hello]}
            snapshot: true
        """,
        5,
    ),
}

# these need a server or a plugin folder: tests/lint/test_mcp.py and test_cli.py
ELSEWHERE = {"E405", "E406", "E409"}


def test_every_code_has_a_firing_case() -> None:
    assert set(FIRING) | ELSEWHERE == set(CODES)


def test_a_clean_spec_has_no_findings(tmp_path: Path) -> None:
    report = lint(tmp_path, CLEAN)
    assert report.findings == []
    assert report.exit_code(strict=True) == 0


@pytest.mark.parametrize("code", sorted(FIRING))
def test_code_fires_on_a_minimal_spec_at_its_line(tmp_path: Path, code: str) -> None:
    text, line = FIRING[code]
    report = lint(tmp_path, text)
    assert codes(report) == [code], [str(f.location) + " " + f.message for f in report.findings]
    (finding,) = report.findings
    assert finding.location.path == str(tmp_path / "test_spec.yaml")
    assert finding.location.line == line
    assert finding.severity == ("warning" if code.startswith("W") else "error")
    assert finding.message


def test_duplicate_test_name_is_reported_once_with_its_code(tmp_path: Path) -> None:
    text, _ = FIRING["E204"]
    report = lint(tmp_path, text + "---\n" + text.split("---\n")[1].replace("twice", "other"))
    assert codes(report) == ["E204"]
    assert "`twice` is already used" in report.findings[0].message


def test_unknown_tool_suggests_the_closest_name(tmp_path: Path) -> None:
    (finding,) = lint(tmp_path, FIRING["E401"][0]).findings
    assert finding.location.col == 11
    assert finding.hint == "did you mean `store_value`?"


def test_unknown_argument_points_at_the_key_and_suggests_the_closest(tmp_path: Path) -> None:
    (finding,) = lint(tmp_path, FIRING["E403"][0]).findings
    assert finding.location.col == 7
    assert "`valeu`" in finding.message
    assert finding.hint == "did you mean `value`?"


def test_missing_argument_names_it_and_says_what_it_is(tmp_path: Path) -> None:
    (finding,) = lint(tmp_path, FIRING["E402"][0]).findings
    assert finding.message == "`store_value` needs the argument `value`"
    assert finding.hint is not None
    assert finding.hint.startswith("add `value: ...` under `args`")


def test_templated_arguments_are_not_type_checked_but_text_around_them_is(
    tmp_path: Path,
) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: templates}
        vars: {pause: 1, label: x}
        steps:
          - tool: sleep
            args: {seconds: "${vars.pause}"}
            check: result.slept == 1
          - tool: sleep
            args: {seconds: "${vars.pause} s"}
            check: result.slept == 1
          - tool: http_request
            args: {method: GET, url: "${vars.label}/users"}
            check: result.status == 200
        """,
    )
    assert [(f.code, f.location.line) for f in report.findings] == [("E404", 8)]
    assert "expected number" in report.findings[0].message


def test_tools_are_checked_even_when_the_compiler_found_other_errors(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: two problems}
        steps:
          - tool: store_value
            args: {name: k, value: "${nope}"}
            check: result.stored == "k"
          - tool: stor_value
            args: {name: k, value: 1}
        """,
    )
    assert [(f.code, f.location.line) for f in report.findings] == [("E302", 4), ("E401", 6)]


def test_tools_of_declared_mcp_servers_are_not_unknown_without_mcp(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: server tools}
        mcp_servers:
          notes: {command: python, args: [notes_server.py]}
        steps:
          - tool: notes_add_note
            args: {title: a, body: b}
            check: result.id > 0
          - tool: notes.count
            check: result == 1
        """,
    )
    assert report.findings == []


def test_findings_in_an_imported_fragment_point_into_that_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        fragments:
          remember:
            params: [key]
            steps:
              - tool: store_value
                args: {name: "${key}", valeu: 1}
                save_as: remembered
        """,
        "common/fragments.yaml",
    )
    report = lint(
        tmp_path,
        """\
        test: {name: uses a fragment}
        imports: [common/fragments.yaml]
        steps:
          - use: remember
            with: {key: k}
          - use: remember
            with: {key: j}
          - tool: list_values
            check: len(result.values) == 2
        """,
    )
    fragments = str(tmp_path / "common" / "fragments.yaml")
    # one finding per place, however often the fragment is used; its unread save_as is fine
    assert [(f.code, str(f.location)) for f in report.findings] == [
        ("E402", f"{fragments}:6:9"),
        ("E403", f"{fragments}:6:32"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            """\
            test: {name: judged}
            steps:
              - tool: list_values
                expect: "Request should complete"
                analyze: "Check that `values` is an empty mapping"
            """,
            id="vague-expect-with-analyze",
        ),
        pytest.param(
            """\
            test: {name: concrete}
            steps:
              - tool: list_values
                expect: "Returns an empty mapping of values"
            """,
            id="concrete-expect",
        ),
        pytest.param(
            """\
            test: {name: read in teardown and verdict}
            steps:
              - tool: store_value
                args: {name: k, value: 1}
                save_as: first
              - tool: store_value
                args: {name: j, value: 2}
                save_as: second
            teardown:
              - tool: get_value
                args: {name: "${first.stored}"}
            verdict:
              pass_if: "Both values were stored: ${second.value}"
            """,
            id="save-as-read-later",
        ),
        pytest.param(
            """\
            test: {name: polls, timeout: 60}
            steps:
              - tool: get_value
                args: {name: job}
                timeout: 30
                retry: 5
                retry_delay: 0.5
                until: result.found
                check: result.found
            """,
            id="retry-with-delay-and-until",
        ),
        pytest.param(
            """\
            test: {name: default test timeout}
            steps:
              - tool: sleep
                args: {seconds: 1}
                timeout: 300
                check: result.slept == 1
            """,
            id="step-timeout-without-a-test-timeout",
        ),
    ],
)
def test_warnings_stay_quiet_when_the_spec_means_it(tmp_path: Path, text: str) -> None:
    assert lint(tmp_path, text).findings == []


def test_a_shell_script_without_interpolation_or_a_value_passed_as_an_argument_is_fine(
    tmp_path: Path,
) -> None:
    text = """\
        test: {name: safe shell}
        vars: {name: "x; rm -rf ~"}
        steps:
          - tool: run_command
            args: {argv: [sh, -c, 'echo "$1"', sh, "${vars.name}"]}
            check: result.exit_code == 0
          - tool: run_command
            args: {argv: [bash, -ec, "echo hello"]}
            check: result.exit_code == 0
        """
    assert not [f for f in lint(tmp_path, text).findings if f.code == "W109"]


def test_a_misspelt_fixture_of_a_conftest_above_the_spec_is_flagged_with_the_name(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture(scope='session')\ndef live_server():\n    ...\n\n\n"
        "@pytest.fixture(name='base_url')\ndef _base_url():\n    ...\n",
        encoding="utf-8",
    )
    text = """\
        fixtures: [live_servr, live_server]
        test: {name: uses the server, fixtures: [base_ulr, base_url, from_a_plugin]}
        steps:
          - tool: list_values
            check: result.values == {}
        """
    found = [
        (f.location.line, f.location.col, f.hint)
        for f in lint(tmp_path / "tests", text).findings
        if f.code == "W110"
    ]
    assert found == [(1, 12, "did you mean `live_server`?"), (2, 42, "did you mean `base_url`?")]


def test_iteration_in_the_config_of_a_server_per_run_is_no_warning(tmp_path: Path) -> None:
    text = FIRING["W117"][0].replace("            scope: item\n", "")
    assert not [f for f in lint(tmp_path, text).findings if f.code == "W117"]


def test_a_test_timeout_above_the_deadline_is_flagged_at_the_test(tmp_path: Path) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: deadline, timeout: 30, deadline: 10}
        steps:
          - tool: sleep
            args: {seconds: 1}
            check: result.slept == 1
        """,
    )
    assert [(f.code, f.location.line) for f in report.findings] == [("W113", 1)]
    assert "above its deadline of 10 s" in report.findings[0].message


def test_step_timeouts_that_only_add_up_to_more_than_the_deadline_are_not_flagged(
    tmp_path: Path,
) -> None:
    step = "  - tool: sleep\n    args: {seconds: 1}\n    timeout: 6\n    check: result.slept == 1\n"
    report = lint(tmp_path, "test: {name: sum, deadline: 10}\nsteps:\n" + step * 3)
    assert report.findings == []


def test_an_experiment_override_matching_nothing_is_e501_with_the_closest_path(
    tmp_path: Path,
) -> None:
    report = lint(
        tmp_path,
        """\
        test: {name: typo}
        vars: {limit: 3}
        experiments:
          - name: small
            overrides: {vars.limt: 1}
        steps:
          - tool: list_values
            check: result.values == {}
        """,
    )
    (finding,) = report.findings
    assert (finding.code, finding.location.line) == ("E501", 5)
    assert finding.hint is not None and finding.hint.startswith("did you mean `vars.limit`?")
