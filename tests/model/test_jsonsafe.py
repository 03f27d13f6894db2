"""Values made safe for every report: placeholders that say what could not be written."""

from __future__ import annotations

import json
from dataclasses import dataclass

from llm_pytest.model.jsonsafe import MAX_DEPTH, json_safe, safe_text


@dataclass
class _Point:
    x: int
    label: str


def test_integers_too_long_to_write_become_a_placeholder_with_their_digit_count() -> None:
    assert json_safe([10**5000, -(10**4999), 10**4299]) == [
        "<int of 5001 digits>",
        "<int of 5000 digits>",
        10**4299,
    ]


def test_lone_surrogates_are_escaped_and_the_text_encodes_as_utf8() -> None:
    value = json_safe({"\udc80key": "a\ud800b", "ok": "héllo"})
    assert value == {"\\udc80key": "a\\ud800b", "ok": "héllo"}
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    assert safe_text("plain") == "plain"


def test_circular_and_very_deep_data_are_cut_with_a_note() -> None:
    loop: list[object] = [1]
    loop.append(loop)
    assert json_safe(loop) == [1, "<circular reference>"]
    deep: list[object] = []
    for _ in range(MAX_DEPTH + 50):
        deep = [deep]
    text = json.dumps(json_safe(deep))
    assert f"<nested deeper than {MAX_DEPTH} levels>" in text


def test_non_json_values_become_strict_json() -> None:
    class Opaque:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    assert json_safe(
        {"nan": float("nan"), "point": _Point(1, "a"), "set": {2}, 3: (4,), "obj": Opaque()}
    ) == {
        "nan": "nan",
        "point": {"x": 1, "label": "a"},
        "set": [2],
        "3": [4],
        "obj": "<Opaque object>",
    }
