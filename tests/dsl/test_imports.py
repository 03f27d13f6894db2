"""`imports:` reads regular files of fragments inside the project, and says so at the import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llm_pytest.dsl.compiler import compile_file
from llm_pytest.dsl.imports import IMPORT_ROOTS_ENV
from llm_pytest.errors import SpecError, SpecErrors

SECRET = "hunter2-do-not-print"
FRAGMENTS = "fragments:\n  hello:\n    steps: [{tool: store_value, args: {name: a, value: 1}}]\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (with a pytest.ini) inside a folder that holds a secret `.env`."""
    (tmp_path / ".env").write_text(f"API_TOKEN={SECRET}\n")
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


def _error(project: Path, entry: str) -> SpecError:
    spec = project / "specs" / "test_s.yaml"
    spec.write_text(f"test: {{name: t}}\nimports: [{entry}]\nsteps: [{{use: hello}}]\n")
    with pytest.raises(SpecErrors) as info:
        compile_file(spec)
    first = info.value.errors[0]
    assert first.location is not None
    assert (first.location.path, first.location.line) == (str(spec), 2)  # at the import
    assert SECRET not in info.value.render()
    return first


def test_an_import_outside_the_project_is_refused_without_reading_it(project: Path) -> None:
    err = _error(project, "../../.env")
    assert err.message == f"imported file `../../.env` is outside the project ({project})"
    assert err.hint is not None and IMPORT_ROOTS_ENV in err.hint


def test_a_file_that_is_not_fragments_is_refused_without_quoting_it(project: Path) -> None:
    (project / ".env").write_text(f"API_TOKEN={SECRET}\n")
    assert _error(project, "../.env").message == (
        "imported file `../.env` has no `fragments:` or `imports:`"
    )
    (project / "broken.yaml").write_text(f"a: [{SECRET}\n")
    assert _error(project, "../broken.yaml").message == (
        "imported file `../broken.yaml` cannot be loaded as YAML (a problem at line 2)"
    )


def test_folders_fifos_devices_and_nul_bytes_are_refused_at_the_import(project: Path) -> None:
    os.mkfifo(project / "fifo")
    assert "is not a regular file" in _error(project, "../fifo").message
    assert _error(project, "..").message == f"imported file `..` is a folder ({project})"
    assert _error(project, '"\\0"').message == (
        "imported file `\\x00` has a NUL character in its path"
    )
    assert "is outside the project" in _error(project, "/dev/zero").message


def test_folders_named_in_the_environment_may_be_imported_from(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = project.parent / "shared"
    shared.mkdir()
    (shared / "lib.yaml").write_text(FRAGMENTS)
    spec = project / "specs" / "test_s.yaml"
    spec.write_text("test: {name: t}\nimports: [../../shared/lib.yaml]\nsteps: [{use: hello}]\n")
    with pytest.raises(SpecErrors, match="is outside the project"):
        compile_file(spec)
    monkeypatch.setenv(IMPORT_ROOTS_ENV, str(shared))
    (plan,) = compile_file(spec)
    assert plan.steps
