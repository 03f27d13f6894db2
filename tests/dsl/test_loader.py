"""The loader: safe YAML with a location on every value."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from llm_pytest.dsl.loader import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    MarkedDict,
    MarkedList,
    load_file,
    load_text,
)
from llm_pytest.errors import LoadError


def test_every_mapping_and_sequence_keeps_its_line_and_column() -> None:
    (doc,) = load_text("test:\n  name: x\nsteps:\n  - tool: a\n    args: {k: 1}\n", "s.yaml")
    assert isinstance(doc.data, MarkedDict)
    assert isinstance(doc.data["steps"], MarkedList)
    assert str(doc.locate(["steps", 0, "args", "k"])) == "s.yaml:5:15"
    assert str(doc.locate(["steps", 0, "args"], key=True)) == "s.yaml:5:5"
    assert str(doc.locate(["steps", 0])) == "s.yaml:4:5"


def test_a_missing_path_is_located_at_the_nearest_existing_container() -> None:
    (doc,) = load_text("test:\n  name: x\n", "s.yaml")
    assert str(doc.locate(["test", "timeout"])) == "s.yaml:2:3"


def test_each_document_of_a_multi_document_file_is_one_test() -> None:
    docs = load_text("test: {name: a}\n---\ntest: {name: b}\n---\n", "m.yaml")
    assert [d.data["test"]["name"] for d in docs] == ["a", "b"]
    assert [d.index for d in docs] == [0, 1]


def test_an_empty_file_yields_one_empty_document_to_report() -> None:
    (doc,) = load_text("# only a comment\n", "e.yaml")
    assert doc.data is None


def test_timestamps_stay_strings() -> None:
    (doc,) = load_text("when: 2024-01-01\nat: 2024-01-01T10:00:00Z\n")
    assert doc.data == {"when": "2024-01-01", "at": "2024-01-01T10:00:00Z"}


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']",
        "a: !!python/name:os.system",
        "a: !custom 3",
        "a: !!binary aGVsbG8=",
        "a: !!set {x, y}",
    ],
)
def test_tags_other_than_plain_data_are_refused_with_a_location(text: str) -> None:
    with pytest.raises(LoadError, match="is not allowed") as info:
        load_text(text, "t.yaml")
    assert info.value.location is not None
    assert (info.value.location.line, info.value.location.col) == (1, 4)


def test_a_billion_laughs_file_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(8):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    with pytest.raises(LoadError, match="expand to more than"):
        load_text("\n".join(lines), "bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(LoadError, match="refers to the mapping or sequence that contains it"):
        load_text("x: &x [1, *x]")


def test_a_duplicate_key_is_an_error_naming_both_places() -> None:
    with pytest.raises(LoadError, match=r"duplicate key `a` \(first defined at line 1"):
        load_text("a: 1\nb: 2\na: 3\n")


def test_merge_keys_may_be_overridden_by_explicit_keys() -> None:
    (doc,) = load_text("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n")
    assert doc.data["d"] == {"x": 1, "y": 3}


def test_a_syntax_error_reports_path_line_and_column() -> None:
    with pytest.raises(LoadError) as info:
        load_text("a:\n  - [1, 2\n", "bad.yaml")
    err = info.value
    assert err.location is not None and err.location.path == "bad.yaml"
    assert err.location.line == 3
    assert "YAML syntax error" in err.message


def test_tab_indentation_gets_a_specific_hint() -> None:
    with pytest.raises(LoadError) as info:
        load_text("a:\n\tb: 1\n")
    assert info.value.hint is not None and "tabs" in info.value.hint


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(LoadError, match="the limit is 5 MB"):
        load_file(big)


def test_a_missing_file_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read spec file"):
        load_file(tmp_path / "nope.yaml")


def test_rendered_errors_quote_the_source_line_with_a_caret() -> None:
    with pytest.raises(LoadError) as info:
        load_text("test: {name: a}\nx: !!python/none ''\n", "r.yaml")
    rendered = info.value.render().splitlines()
    assert rendered[0].startswith("r.yaml:2:4: the tag `!!python/none`")
    assert rendered[1] == "    2 | x: !!python/none ''"
    assert rendered[2] == "      |    ^"
    assert rendered[3].startswith("  hint: ")


def test_a_folder_given_as_a_spec_file_is_a_located_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load_file(tmp_path)
    assert "is a folder, not a spec file" in info.value.message
    assert info.value.location is not None and info.value.location.line == 1


def test_a_bom_and_windows_line_endings_keep_lines_and_columns() -> None:
    (doc,) = load_text("\ufefftest:\r\n  name: x\r\nsteps:\r\n  - tool: a\r\n", "crlf.yaml")
    assert (doc.locate(["steps", 0, "tool"]).line, doc.locate(["steps", 0, "tool"]).col) == (4, 11)
    assert doc.data["test"]["name"] == "x"


def test_a_scalar_alias_bomb_is_refused_by_its_expanded_size() -> None:
    text = f"big: &b {'x' * 100_000}\nsteps: [{', '.join(['*b'] * 10_000)}]\n"
    assert len(text) < 150_000
    with pytest.raises(LoadError) as info:
        load_text(text, "bomb.yaml")
    assert str(info.value) == "bomb.yaml:2:8: YAML aliases here expand to more than 20 MB of text"


def test_nesting_beyond_the_limit_is_located_at_the_first_node_too_deep() -> None:
    # a mapping, then sequences each indented under the one before: the last is one too many
    text = "a:\n" + "".join(f"{'  ' * i}-\n" for i in range(1, MAX_NESTING + 1))
    with pytest.raises(LoadError) as info:
        load_text(text, "deep.yaml")
    assert str(info.value) == (
        f"deep.yaml:{MAX_NESTING + 1}:{2 * MAX_NESTING + 1}: "
        f"the YAML is nested more than {MAX_NESTING} levels deep here"
    )


def test_nesting_through_aliases_counts_the_expanded_depth() -> None:
    half = MAX_NESTING // 2 + 1
    text = f"a: &a {'[' * half}{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    with pytest.raises(LoadError, match="nested more than"):
        load_text(text, "deep.yaml")
    (doc,) = load_text(f"a: &a {'[' * 40}{']' * 40}\nb: {'[' * 40}*a{']' * 40}\n")
    assert doc.data["b"]


def test_a_control_character_is_located_at_its_line_and_column() -> None:
    with pytest.raises(LoadError) as info:
        load_text("test: {name: t}\nsteps:\n  - tool: a\x00b\n", "nul.yaml")
    assert str(info.value) == (
        "nul.yaml:3:12: the character U+0000 is not allowed in YAML "
        "(control characters are not allowed)"
    )


def test_a_lone_surrogate_in_text_given_as_str_is_located_not_a_crash() -> None:
    with pytest.raises(LoadError) as info:
        load_text("test: {name: t}\nsteps:\n  - tool: a\ud800b\n", "odd.yaml")
    assert str(info.value) == (
        "odd.yaml:3:12: the character U+D800 is not allowed in YAML (a lone surrogate)"
    )


def test_a_lone_surrogate_after_a_long_scalar_is_located_not_a_crash() -> None:
    # A long first line makes the loader check nesting event by event before it composes.
    with pytest.raises(LoadError) as info:
        load_text("9" * 5000 + "\ud800\ntest: {name: t}\n", "long.yaml")
    assert str(info.value) == (
        "long.yaml:1:5001: the character U+D800 is not allowed in YAML (a lone surrogate)"
    )


def test_bytes_that_are_not_utf8_are_located_at_their_line_and_column(tmp_path: Path) -> None:
    spec = tmp_path / "latin1.yaml"
    spec.write_bytes("test: {name: t}\nsteps:\n  - tool: é".encode() + b"\xff\n")
    with pytest.raises(LoadError) as info:
        load_file(spec)
    err = info.value
    assert err.location is not None
    assert (err.location.line, err.location.col) == (3, 12)
    assert "not UTF-8 text (invalid start byte: byte 0xff)" in err.message
    assert "    3 |   - tool: é\ufffd" in err.render()
