"""The error tree: one rendering for every error of ours, and a docstring that draws them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import llm_pytest
from llm_pytest import errors
from llm_pytest.errors import (
    LlmPytestError,
    SourceLocation,
    SpecError,
    SpecErrors,
    ToolError,
    UsageError,
    register_source,
    render_problem,
)

_TREE_ENTRY = re.compile(r"^    (?P<indent>(?:[│ ]   )*)(?:[├└]── )?(?P<name>\w+)\s")


def _defined_errors() -> dict[str, type[LlmPytestError]]:
    """Every subclass of LlmPytestError defined in a module of the package, by name."""
    found: dict[str, type[LlmPytestError]] = {}
    for info in pkgutil.walk_packages(llm_pytest.__path__, "llm_pytest."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if (
                inspect.isclass(cls)
                and issubclass(cls, LlmPytestError)
                and cls.__module__ == info.name
            ):
                found[cls.__name__] = cls
    return found


def _drawn_tree() -> dict[str, str | None]:
    """Each class drawn in the errors docstring, with the class it is drawn under."""
    doc = errors.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in block.splitlines():
        match = _TREE_ENTRY.match(line)
        assert match, f"not a tree line: {line!r}"
        depth = len(match["indent"]) // 4 + (1 if "──" in line else 0)
        del path[depth:]
        parents[match["name"]] = path[-1] if path else None
        path.append(match["name"])
    return parents


def test_every_error_class_of_the_package_is_drawn_in_the_errors_docstring() -> None:
    missing = sorted(set(_defined_errors()) - set(_drawn_tree()))
    assert missing == [], f"add these to the tree in the errors docstring: {missing}"


def test_the_error_tree_draws_each_class_under_its_base_and_names_no_other() -> None:
    defined = _defined_errors()
    for name, parent in _drawn_tree().items():
        assert name in defined, f"the errors docstring draws `{name}`, which does not exist"
        bases = [b.__name__ for b in defined[name].__bases__ if issubclass(b, LlmPytestError)]
        assert bases == ([parent] if parent else []), f"`{name}` is drawn under `{parent}`"


def test_an_error_without_a_location_renders_its_message_then_its_hint() -> None:
    assert ToolError("the account is locked", hint="unlock it first").render() == (
        "the account is locked\n  hint: unlock it first"
    )
    assert UsageError("--http takes HOST:PORT").render() == "--http takes HOST:PORT"


def test_every_error_has_a_hint_even_when_none_is_given() -> None:
    assert LlmPytestError("broken").hint is None
    assert SpecError("broken", hint="mend it").hint == "mend it"


def test_a_spec_error_renders_its_location_the_source_line_a_caret_and_the_hint() -> None:
    register_source("where.yaml", "test: {name: t}\nsteps:\n  - tool: store_valu\n")
    error = SpecError(
        "unknown tool `store_valu`", SourceLocation("where.yaml", 3, 11), "did you mean it?"
    )
    assert error.render().splitlines() == [
        "where.yaml:3:11: unknown tool `store_valu`",
        "    3 |   - tool: store_valu",
        "      |           ^",
        "  hint: did you mean it?",
    ]


def test_a_location_whose_source_is_unknown_renders_without_an_excerpt() -> None:
    where = SourceLocation("nowhere/at/all.yaml", 2, 1)
    assert render_problem("gone", where, "look elsewhere") == (
        "nowhere/at/all.yaml:2:1: gone\n  hint: look elsewhere"
    )


def test_a_long_source_line_is_cut_around_the_caret() -> None:
    register_source("long.yaml", "x" * 300 + "HERE" + "y" * 300)
    lines = render_problem("here", SourceLocation("long.yaml", 1, 301)).splitlines()
    source, caret = lines[1], lines[2]
    assert source.startswith("    1 | …") and source.endswith("…")
    assert source[caret.index("^") :].startswith("HERE")


def test_several_spec_errors_render_each_in_order_and_count_them() -> None:
    register_source("two.yaml", "a: 1\nb: 2\n")
    later = SpecError("second", SourceLocation("two.yaml", 2, 1))
    earlier = SpecError("first", SourceLocation("two.yaml", 1, 1))
    rendered = SpecErrors([later, earlier]).render()
    assert rendered.split("\n\n") == [
        "two.yaml:1:1: first\n    1 | a: 1\n      | ^",
        "two.yaml:2:1: second\n    2 | b: 2\n      | ^",
        "2 problems found",
    ]


def test_names_quoted_in_a_message_are_cut_and_control_characters_escaped() -> None:
    name = "n" * 300_000
    err = SpecError(f"test name `{name}` is used twice", hint=f"rename `{name}`")
    cut = f"`{'n' * errors.MAX_QUOTED}… (299,800 more characters)`"
    assert err.message == f"test name {cut} is used twice"
    assert err.hint == f"rename {cut}"
    assert SpecError("tool `a\x00b\x1b[31m`").message == "tool `a\\x00b\\x1b[31m`"
    assert SpecError(f"wrapped: {err.message}").message == f"wrapped: test name {cut} is used twice"


def test_a_message_is_cut_after_its_limit_with_a_note() -> None:
    message = UsageError("x" * (errors.MAX_MESSAGE + 5)).message
    assert message == "x" * errors.MAX_MESSAGE + "… (5 more characters)"
    assert UsageError(message).message == message
