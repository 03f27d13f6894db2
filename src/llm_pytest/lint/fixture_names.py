"""W110: a requested pytest fixture whose name is close to, but not, one that exists.

The linter runs without pytest, so it knows the fixtures of pytest itself and those defined in
the ``conftest.py`` files of the spec's folder and the folders above it (up to the project's
root), read without importing them. A name it does not know may still come from an installed
plugin; it is flagged only when it looks like a misspelling of a name it knows.
"""

from __future__ import annotations

import ast
import difflib
from functools import lru_cache
from pathlib import Path

from llm_pytest.lint.findings import Finding
from llm_pytest.model.plan import Plan

__all__ = ["PYTEST_FIXTURES", "fixture_typos"]

PYTEST_FIXTURES = frozenset(
    {
        "cache",
        "capfd",
        "capfdbinary",
        "caplog",
        "capsys",
        "capsysbinary",
        "capteesys",
        "doctest_namespace",
        "llm_runner",
        "monkeypatch",
        "pytestconfig",
        "pytester",
        "record_property",
        "record_testsuite_property",
        "record_xml_attribute",
        "recwarn",
        "request",
        "subtests",
        "tmp_path",
        "tmp_path_factory",
        "tmpdir",
        "tmpdir_factory",
    }
)
"""Fixtures of pytest (and ``llm_runner``) that every test can request."""

_ROOT_MARKERS = ("pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg", ".git")


def fixture_typos(plan: Plan) -> list[Finding]:
    """W110 for each fixture ``plan`` requests that is unknown but close to a known name."""
    if not plan.fixtures:
        return []
    spec = Path(plan.path)
    known = PYTEST_FIXTURES
    if spec.is_file():
        known = known | _conftest_fixtures(spec.resolve().parent)
    out = []
    for use in plan.fixtures:
        if use.name in known:
            continue
        guesses = difflib.get_close_matches(use.name, sorted(known), n=1)
        if guesses:
            out.append(
                Finding(
                    "W110",
                    use.location,
                    f"the pytest fixture `{use.name}` is defined neither by pytest nor in a "
                    "conftest.py of the spec's folder or above (under pytest, a collection "
                    "error unless a plugin defines it)",
                    f"did you mean `{guesses[0]}`?",
                )
            )
    return out


def _conftest_fixtures(folder: Path) -> frozenset[str]:
    """The fixture names defined in the conftest.py files of ``folder`` and above it."""
    names: set[str] = set()
    for here in (folder, *folder.parents):
        conftest = here / "conftest.py"
        try:
            changed = conftest.stat().st_mtime_ns
        except OSError:
            changed = None
        if changed is not None:
            names |= _defined_in(conftest, changed)
        if any((here / marker).exists() for marker in _ROOT_MARKERS):
            break
    return frozenset(names)


@lru_cache(maxsize=64)
def _defined_in(path: Path, changed: int) -> frozenset[str]:
    """The fixtures of the conftest.py at ``path`` as it was when changed at ``changed``."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if _is_fixture(decorator):
                    names.add(_given_name(decorator) or node.name)
    return frozenset(names)


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "fixture"
    return isinstance(target, ast.Name) and target.id == "fixture"


def _given_name(decorator: ast.expr) -> str | None:
    """The ``name=`` of ``@pytest.fixture(name="...")``."""
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            value = keyword.value
            if keyword.arg == "name" and isinstance(value, ast.Constant):
                return str(value.value)
    return None
