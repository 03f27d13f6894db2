"""`llm-pytest init`: a scaffold that passes under `pytest --llm` right away, never overwriting."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

# Imported before the in-process sessions below, which drop the modules a run imports: the
# scaffolded plugin's `from llm_pytest import LLMPlugin` must meet the class discovery checks.
from llm_pytest.cli.main import main
from llm_pytest.dsl.schema import SCHEMA_ID, schema_text

NO_NOISE = ("-p", "no:benchmark", "-p", "no:hypothesispytest", "-p", "no:cacheprovider")
FILES = [
    "tests/llm/test_example.yaml",
    "tests/llm/plugins/example_api.py",
    "tests/llm/test_example_runner.py",
    "schemas/llm-pytest.schema.json",
    ".vscode/settings.json",
]


def test_init_scaffolds_an_example_that_passes_under_pytest_llm(pytester: pytest.Pytester) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "init"],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[: len(FILES)] == [f"created {f}" for f in FILES]
    assert "pytest tests/llm --llm -v" in done.stdout
    result = pytester.runpytest(*NO_NOISE, "--llm", "--llm-provider", "offline", "-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_example.yaml::Create and fetch a user PASSED*",
            "tests/llm/test_example.yaml::The new user looks right SKIPPED*",
            "tests/llm/test_example_runner.py::test_user_creation_is_reliable PASSED*",
        ]
    )
    # a plain `pytest` runs the Python test only, and it passes too
    pytester.runpytest(*NO_NOISE).assert_outcomes(passed=1)


def test_the_judged_example_passes_with_a_judge_that_approves(pytester: pytest.Pytester) -> None:
    assert main(["init"]) == 0
    pytester.makefile(".yaml", verdicts="'*': PASS\n")
    pytester.makeini("[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n")
    pytester.runpytest(*NO_NOISE, "--llm").assert_outcomes(passed=3)


def test_spec_names_the_schema_copy_which_validates_it(pytester: pytest.Pytester) -> None:
    assert main(["init"]) == 0
    spec = (pytester.path / "tests/llm/test_example.yaml").read_text()
    assert (
        spec.splitlines()[0]
        == "# yaml-language-server: $schema=../../schemas/llm-pytest.schema.json"
    )
    schema_file = pytester.path / "schemas/llm-pytest.schema.json"
    assert schema_file.read_text() == schema_text()
    schema = json.loads(schema_file.read_text())
    for document in yaml.safe_load_all(spec):
        jsonschema.validate(document, schema)
    settings = json.loads((pytester.path / ".vscode/settings.json").read_text())
    assert settings == {
        "yaml.schemas": {
            "./schemas/llm-pytest.schema.json": [
                "tests/llm/**/test_*.yaml",
                "tests/llm/**/test_*.yml",
            ]
        }
    }


def test_init_in_another_dir_with_the_schema_url(pytester: pytest.Pytester) -> None:
    assert main(["init", "--dir", "qa/specs", "--schema-url", "--no-vscode"]) == 0
    spec = (pytester.path / "qa/specs/test_example.yaml").read_text()
    assert spec.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_ID}"
    assert not (pytester.path / "schemas").exists()
    assert not (pytester.path / ".vscode").exists()
    result = pytester.runpytest(*NO_NOISE, "--llm", "--llm-provider", "offline", "qa")
    result.assert_outcomes(passed=2, skipped=1)


def test_init_refuses_to_overwrite_and_writes_nothing(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    (pytester.path / ".vscode").mkdir()
    (pytester.path / ".vscode/settings.json").write_text('{"editor.tabSize": 2}\n')
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "not overwriting existing files:\n  .vscode/settings.json\n" in err
    assert not (pytester.path / "tests").exists()
    assert (pytester.path / ".vscode/settings.json").read_text() == '{"editor.tabSize": 2}\n'
    assert main(["init", "--no-vscode"]) == 0
    assert (pytester.path / "tests/llm/test_example.yaml").is_file()
