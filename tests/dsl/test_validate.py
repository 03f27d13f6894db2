"""Validation: every problem of a file at once, located, with advice."""

from __future__ import annotations

import pytest

from llm_pytest.dsl.loader import load_text
from llm_pytest.dsl.spec import Spec
from llm_pytest.dsl.validate import validate_document
from llm_pytest.errors import SpecErrors


def _errors(text: str) -> list[tuple[int, int, str, str | None]]:
    (doc,) = load_text(text, "v.yaml")
    with pytest.raises(SpecErrors) as info:
        validate_document(doc, Spec)
    out = []
    for e in info.value.errors:
        assert e.location is not None
        out.append((e.location.line, e.location.col, e.message, e.hint))
    return out


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    errors = _errors(
        "test:\n  name: x\n  mode: agnt\nsteps:\n  - tool: a\n    timeout: x\n  - args: {}\n"
    )
    assert [(line, col) for line, col, _, _ in errors] == [(3, 9), (6, 14), (7, 5)]


def test_an_unknown_key_names_the_closest_valid_key() -> None:
    ((line, col, message, hint),) = _errors(
        "test: {name: x}\nsteps:\n  - tool: a\n    retry_dely: 2\n"
    )
    assert (line, col) == (4, 5)
    assert message == "unknown key `retry_dely`: not a valid field of a tool step"
    assert hint == "did you mean `retry_delay`?"


def test_an_unknown_key_without_a_close_match_lists_the_valid_keys() -> None:
    ((_, _, _, hint),) = _errors("test: {name: x}\nsteps:\n  - tool: a\n    wait_for: ready\n")
    assert hint is not None and "valid keys: name, tool, args" in hint


def test_a_type_error_names_the_expected_type_and_shows_the_value() -> None:
    ((_, _, message, hint),) = _errors(
        'test: {name: x}\nsteps:\n  - tool: a\n    timeout: "thirty"\n'
    )
    assert message == "`steps[0].timeout` must be a number, got 'thirty' (a string)"
    assert hint is not None and "timeout: 30" in hint


def test_strings_are_never_silently_read_as_numbers() -> None:
    ((_, _, message, _),) = _errors('test: {name: x, iterations: "3"}\nsteps: [{tool: a}]\n')
    assert "must be a whole number" in message


def test_a_step_without_tool_says_what_a_step_needs() -> None:
    ((_, _, message, hint),) = _errors("test: {name: x}\nsteps:\n  - name: s\n    args: {}\n")
    assert message == "missing required key `tool` in steps[0]"
    assert hint is not None and "repeat" in hint and "use" in hint


def test_a_step_that_is_both_a_tool_call_and_a_repeat_block_is_explained() -> None:
    ((_, _, message, hint),) = _errors("test: {name: x}\nsteps:\n  - tool: a\n    repeat: 2\n")
    assert message.startswith("unknown key `repeat`")
    assert hint is not None and "exactly one of" in hint


def test_nested_repeat_errors_point_into_the_block() -> None:
    ((line, col, message, _),) = _errors(
        "test: {name: x}\nsteps:\n  - repeat: 2\n    steps:\n      - tool: a\n        retry: -1\n"
    )
    assert (line, col) == (6, 16)
    assert message.startswith("`steps[0].steps[0].retry` must be at least 0")


def test_a_value_of_a_union_field_lists_every_accepted_type() -> None:
    ((_, _, message, _),) = _errors("test: {name: x}\nsteps:\n  - tool: a\n    check: 3\n")
    assert message == "`steps[0].check` must be a string or a list, got 3 (a number)"


def test_min_pass_rate_outside_zero_to_one_is_refused_with_advice() -> None:
    ((_, _, message, hint),) = _errors("test: {name: x, min_pass_rate: 80}\nsteps: [{tool: a}]\n")
    assert "must be at most 1" in message
    assert hint is not None and "0.8" in hint


def test_save_as_may_not_shadow_a_builtin_name() -> None:
    ((_, _, message, _),) = _errors("test: {name: x}\nsteps:\n  - tool: a\n    save_as: vars\n")
    assert "`vars` is a built-in name" in message


def test_a_stdio_server_with_a_url_is_explained() -> None:
    ((_, _, _, hint),) = _errors(
        "test: {name: x}\nmcp_servers:\n  s: {command: c, url: u}\nsteps: [{tool: a}]\n"
    )
    assert hint == "a server is either stdio (`command`) or HTTP (`url`), not both"


def test_a_valid_spec_gives_typed_models() -> None:
    (doc,) = load_text(
        "test: {name: x}\nmcp_servers:\n  web: {url: 'http://127.0.0.1:1/mcp'}\n"
        "steps:\n  - tool: a\n    check: result.ok\n"
        "  - repeat: 2\n    as: i\n    steps: [{tool: b}]\n"
    )
    spec = validate_document(doc, Spec)
    assert spec.steps[0].checks == ["result.ok"]  # type: ignore[union-attr]
    assert spec.steps[1].as_ == "i"  # type: ignore[union-attr]
    assert type(spec.mcp_servers["web"]).__name__ == "McpHttpServer"


def test_a_number_used_as_a_key_is_reported_at_the_key_with_a_quoting_hint() -> None:
    ((line, col, message, hint),) = _errors(
        "test: {name: x}\nvars:\n  limit: 3\n  1: one\nsteps: [{tool: a}]\n"
    )
    assert (line, col) == (4, 3)
    assert message == "the key 1 (a number) of `vars` must be a string"
    assert hint == 'quote the key: `"1":`'
