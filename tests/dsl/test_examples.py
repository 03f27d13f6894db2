"""spec-examples: every valid example compiles; every invalid one fails with its stated error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llm_pytest.dsl.compiler import compile_documents, compile_file
from llm_pytest.dsl.loader import load_file
from llm_pytest.errors import SpecError, SpecErrors

EXAMPLES = Path(__file__).resolve().parents[2] / "spec-examples"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
EXPECT = re.compile(r"^# expect-error: (\d+):(\d+): (.+)$", re.MULTILINE)


def _files(folder: str) -> list[Path]:
    return sorted((EXAMPLES / folder).glob("*.yaml"))


def test_there_are_enough_examples() -> None:
    assert len(_files("valid")) >= 15
    assert len(_files("invalid")) >= 25


@pytest.mark.parametrize(
    "path",
    [*EXAMPLES.glob("valid/**/*.yaml"), *EXAMPLES.glob("invalid/**/*.yaml")],
    ids=lambda p: str(p.relative_to(EXAMPLES)),
)
def test_every_example_starts_with_the_schema_modeline(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path.name} must start with the yaml-language-server modeline"
    assert (path.parent / match.group(1)).resolve().is_file()


@pytest.mark.parametrize("path", _files("valid"), ids=lambda p: p.name)
def test_every_valid_example_compiles(path: Path) -> None:
    assert compile_file(path)


@pytest.mark.parametrize("path", _files("invalid"), ids=lambda p: p.name)
def test_every_invalid_example_fails_with_its_expected_error(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    match = EXPECT.search(text)
    assert match, f"{path.name} needs a `# expect-error: LINE:COL: message` line"
    line, col, fragment = int(match.group(1)), int(match.group(2)), match.group(3)
    try:
        errors = compile_documents(load_file(path)).errors
    except SpecErrors as exc:
        errors = exc.errors
    except SpecError as exc:
        errors = [exc]
    found = [(e.location.line, e.location.col, e.message) for e in errors if e.location is not None]
    assert any((ln, c) == (line, col) and m.startswith(fragment) for ln, c, m in found), (
        f"expected {line}:{col}: {fragment}\n got: {found}"
    )
    for err in errors:
        assert err.location is not None
        assert Path(err.location.path).is_relative_to(path.parent)  # the spec or its imports
        assert err.render().startswith(str(err.location))
