"""Errors inside `${...}` point at the right line and column, whatever the YAML string style."""

from __future__ import annotations

import pytest

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.dsl.textpos import string_locator
from llm_pytest.errors import SourceLocation, SpecErrors, register_source

HEAD = "test: {name: t}\nsteps:\n  - tool: store_value\n"


def _errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "pos.yaml")
    return [(e.location.line, e.location.col, e.message) for e in info.value.errors if e.location]


def _source_at(text: str, line: int, col: int, length: int) -> str:
    return text.splitlines()[line - 1][col - 1 : col - 1 + length]


@pytest.mark.parametrize(
    "value",
    [
        "'it''s ${nope.x}'",
        '"tab\\there \\u00e9 ${nope.x}"',
        "plain words\n        then ${nope.x}",
        '"double quoted\n        on two lines ${nope.x}"',
    ],
    ids=["single-quoted-escape", "double-quoted-escapes", "plain-multiline", "quoted-multiline"],
)
def test_an_undefined_name_in_a_flow_string_points_at_the_name(value: str) -> None:
    text = HEAD + f"    args: {{name: a}}\n    expect: {value}\n"
    ((line, col, message),) = _errors(text)
    assert _source_at(text, line, col, 6) == "nope.x"
    assert "`${nope.x}`" in message


@pytest.mark.parametrize("indicator", ["|", "|-", ">", ">+  # a comment"])
def test_an_undefined_name_in_a_block_scalar_points_at_its_line(indicator: str) -> None:
    text = (
        HEAD + f"    args: {{name: a}}\n    analyze: {indicator}\n"
        "      First line of the instructions.\n"
        "        More indented ${nope.x} here.\n"
    )
    ((line, col, message),) = _errors(text)
    assert (line, _source_at(text, line, col, 6)) == (7, "nope.x")
    assert "\n" not in message


def test_a_syntax_error_in_a_folded_block_points_at_the_bad_token() -> None:
    text = (
        HEAD + "    args: {name: a}\n    save_as: first\n    expect: >\n"
        "      folded text\n      with ${first.x + } error\n"
    )
    ((line, col, message),) = _errors(text)
    assert (line, _source_at(text, line, col, 1)) == (8, "}")
    assert "\n" not in message


def test_a_bad_check_in_a_literal_block_points_at_the_bad_token() -> None:
    text = (
        HEAD + "    args: {name: a}\n    check: |\n      result.value > 1 and\n      result ! 2\n"
    )
    ((line, col, message),) = _errors(text)
    assert (line, _source_at(text, line, col, 1)) == (7, "!")
    assert "`result ! 2`" in message  # the line of the error, not the whole block


def test_a_message_quotes_only_the_interpolation_of_a_very_long_string() -> None:
    filler = "a" * 5000
    text = HEAD + f'    args: {{name: a, value: "{filler} ${{nope}}"}}\n'
    ((line, col, message),) = _errors(text)
    assert _source_at(text, line, col, 4) == "nope"
    assert filler not in message


def test_a_locator_falls_back_to_the_node_when_the_source_is_unknown() -> None:
    node = SourceLocation("never-registered.yaml", 3, 7)
    start, locate = string_locator(node, "text ${x}")
    assert start == node
    assert locate(5) == node.shifted(5)


def test_a_locator_falls_back_to_the_node_when_the_source_does_not_match() -> None:
    register_source("mismatch.yaml", "key: |\n  something else\n")
    node = SourceLocation("mismatch.yaml", 1, 6)
    _, locate = string_locator(node, "not in the source at all ${x}")
    assert locate(26) == node
