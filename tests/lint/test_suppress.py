"""--select, --ignore, inline `# llm-pytest: ignore[CODE]` comments and --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.errors import UsageError
from llm_pytest.lint.codes import check_patterns

from .support import codes, lint

# W102 on line 5, E401 on line 7, W103 on line 9
MIXED = """\
test: {name: mixed}
steps:
  - name: Fetch users
    tool: list_values
    expect: "Request should complete"
  - name: Misspelt
    tool: list_valus
    check: result.values == {}
    save_as: unread
"""


def test_everything_is_reported_by_default(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, MIXED)) == ["W102", "E401", "W103"]


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (("W",), (), ["W102", "W103"]),
        (("E4",), (), ["E401"]),
        (("W102", "E401"), (), ["W102", "E401"]),
        ((), ("W",), ["E401"]),
        ((), ("W103", "E"), ["W102"]),
        (("W",), ("W103",), ["W102"]),
    ],
)
def test_select_and_ignore_take_codes_and_prefixes(
    tmp_path: Path, select: tuple[str, ...], ignore: tuple[str, ...], expected: list[str]
) -> None:
    assert codes(lint(tmp_path, MIXED, select=select, ignore=ignore)) == expected


def test_a_pattern_that_matches_no_code_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="`X9` matches no code"):
        check_patterns(["E4", "X9"], "--select")


def test_patterns_are_case_insensitive_and_blank_ones_are_skipped() -> None:
    assert check_patterns(["w1", " e401 ", ""], "--ignore") == ("W1", "E401")


def test_an_inline_comment_on_the_line_silences_that_code(tmp_path: Path) -> None:
    text = MIXED.replace("tool: list_valus", "tool: list_valus  # llm-pytest: ignore[E401]")
    assert codes(lint(tmp_path, text)) == ["W102", "W103"]


def test_an_inline_comment_alone_on_the_line_before_silences_the_next_line(
    tmp_path: Path,
) -> None:
    text = MIXED.replace(
        '    expect: "Request',
        '    # llm-pytest: ignore[W102]\n    expect: "Request',
    )
    assert codes(lint(tmp_path, text)) == ["E401", "W103"]


def test_an_inline_comment_silences_only_the_codes_it_names(tmp_path: Path) -> None:
    text = MIXED.replace("save_as: unread", "save_as: unread  # llm-pytest: ignore[W102, E4]")
    assert codes(lint(tmp_path, text)) == ["W102", "E401", "W103"]


def test_an_inline_comment_takes_several_codes_and_prefixes(tmp_path: Path) -> None:
    text = MIXED.replace("name: Misspelt", "name: Misspelt  # llm-pytest: ignore[W103]").replace(
        "    save_as: unread", "    save_as: unread  # llm-pytest: ignore[e4, W10]"
    )
    assert codes(lint(tmp_path, text)) == ["W102", "E401"]


def test_a_comment_after_code_on_the_line_before_does_not_reach_the_next_line(
    tmp_path: Path,
) -> None:
    text = MIXED.replace("  - name: Misspelt", "  - name: Misspelt  # llm-pytest: ignore[E401]")
    assert codes(lint(tmp_path, text)) == ["W102", "E401", "W103"]


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    report = lint(tmp_path, MIXED.replace("list_valus", "list_values"))
    assert codes(report) == ["W102", "W103"]
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1


def test_errors_always_fail(tmp_path: Path) -> None:
    report = lint(tmp_path, MIXED, select=("E",))
    assert report.exit_code() == 1
