"""Where each character of a loaded YAML string sits in the spec's source text.

A string's value is not always a copy of its source: block scalars start on the line after
``|``/``>``, folded and multi-line scalars join lines, quoted scalars have escapes (``\\t``,
``''``). Errors inside ``${...}`` must still point at the right line and column, so
:func:`string_locator` maps value offsets back to the source. The usual one-line string is
recognised cheaply; only other strings are aligned against their source, once, lazily.
"""

from __future__ import annotations

from collections.abc import Callable

from llm_pytest.errors import SourceLocation, source_line

__all__ = ["Locator", "string_locator"]

Locator = Callable[[int], SourceLocation]
"""Maps an offset in a string value to where that character is in the source."""

_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_MAX_LINES = 10_000


def string_locator(node: SourceLocation, value: str) -> tuple[SourceLocation, Locator]:
    """The location of ``value``'s first character and a locator for every offset in it.

    ``node`` is where the YAML node starts (its opening quote, its ``|``/``>`` indicator, or its
    first character when plain).
    """
    line = source_line(node.path, node.line)
    if line is None or not 0 < node.col <= len(line):
        return node, _straight(node)
    first = line[node.col - 1]
    style = first if first in "\"'|>" else ""
    start = node.shifted(1) if style in ("'", '"') else node
    if style not in "|>" and line.startswith(value, start.col - 1):
        return start, _straight(start)
    aligned = _Alignment(node, value, style)
    return aligned(0), aligned


def _straight(start: SourceLocation) -> Locator:
    return start.shifted


class _Alignment:
    """Offsets of ``value`` matched, in order, to the characters of its source."""

    def __init__(self, node: SourceLocation, value: str, style: str) -> None:
        self.node = node
        self.value = value
        self.style = style
        self._marks: list[tuple[int, int]] | None = None

    def __call__(self, offset: int) -> SourceLocation:
        marks = self._marks
        if marks is None:
            marks = self._marks = self._align()
        if not marks:
            return self.node
        line, col = marks[min(max(offset, 0), len(marks) - 1)]
        return SourceLocation(self.node.path, line, col)

    def _align(self) -> list[tuple[int, int]]:
        value, style = self.value, self.style
        marks: list[tuple[int, int]] = []
        i = 0
        number = self.node.line
        col = self.node.col - 1  # 0-based index of the node's first character
        if style in ("'", '"'):
            col += 1  # after the opening quote
        elif style:  # a block scalar's text starts on the line after its indicator
            number += 1
            col = 0
        while i < len(value) and number - self.node.line < _MAX_LINES:
            text = source_line(self.node.path, number)
            if text is None:
                break
            text += "\n"
            j = col
            while j < len(text) and i < len(value):
                char = text[j]
                if style == '"' and char == "\\" and j + 1 < len(text):
                    escaped = text[j + 1]
                    if escaped == "\n":  # a line continuation: no character of the value
                        j += 2
                        continue
                    marks.append((number, j + 1))
                    i += 1
                    j += 2 + _HEX_ESCAPES.get(escaped, 0)
                    continue
                if char == value[i] or (char == "\n" and value[i] in " \n"):
                    marks.append((number, j + 1))
                    i += 1
                j += 1
            number += 1
            col = 0
        if i < len(value):  # the source did not match: fall back to the node itself
            return []
        end = marks[-1] if marks else (self.node.line, self.node.col)
        marks.append((end[0], end[1] + 1))  # one past the end, for "unexpected end" errors
        return marks
