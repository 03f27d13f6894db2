"""Spec files built to exhaust collection or read beyond the project get a located error."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import run


@pytest.mark.parametrize("depth", [495, 999])
def test_a_spec_nested_too_deeply_is_a_located_collection_error(
    pytester: pytest.Pytester, depth: int
) -> None:
    value = "[" * depth + "]" * depth
    step = f"  - tool: store_value\n    args: {{name: a, value: {value}}}\n"
    pytester.makefile(".yaml", test_deep=f"test: {{name: t}}\nsteps:\n{step}")
    result = run(pytester, "--llm")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["test_deep.yaml:4:124: the YAML is nested more than 100 levels deep here"]
    )
    assert "internal error" not in result.stdout.str()


def test_an_import_of_a_secret_file_outside_the_rootdir_is_refused_at_the_import(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path.parent / ".env").write_text("API_TOKEN=hunter2-do-not-print\n")
    pytester.makeini("[pytest]\n")
    pytester.makefile(
        ".yaml", test_imp="test: {name: t}\nimports: [../.env]\nsteps: [{use: login}]\n"
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["test_imp.yaml:2:11: imported file `../.env` is outside the project *"]
    )
    assert "hunter2" not in result.stdout.str()
