"""`llm-pytest lint` on the command line: paths from the pytest config, plugins, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_pytest.cli.main import main

from .support import CLEAN, write

PLUGIN = '''\
from llm_pytest import LLMPlugin


class Greeter(LLMPlugin):
    name = "greeter"

    def greet(self, who: str, times: int = 1) -> dict:
        """Say hello."""
        return {"greeting": f"hello {who}" * times}
'''

USES_PLUGIN = """\
test: {name: greets}
steps:
  - tool: greeter_greet
    args: {who: world, times: twice}
    check: result.greeting == "hello world"
"""

BROKEN = "test: {name: broken}\nsteps:\n  - tool: nope\n    check: result.ok\n"
WARNS = CLEAN.replace("The value is the string hello and `found` is true", "It should work")


def lint_cli(*args: str) -> int:
    return main(["lint", "--no-excerpt", *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose pyproject sets testpaths, spec patterns and the plugin folder."""
    write(
        tmp_path,
        """\
        [project]
        name = "demo"

        [tool.pytest.ini_options]
        testpaths = ["specs"]
        llm_spec_patterns = "check_*.yaml"
        llm_plugin_dirs = "project_plugins"
        """,
        "pyproject.toml",
    )
    write(tmp_path, PLUGIN, "project_plugins/greeter.py")
    write(tmp_path, USES_PLUGIN, "specs/api/check_greet.yaml")
    write(tmp_path, BROKEN, "specs/api/test_not_a_spec_here.yaml")
    write(tmp_path, BROKEN, "specs/.hidden/check_hidden.yaml")
    write(tmp_path, BROKEN, "elsewhere/check_outside.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_without_paths_it_lints_the_testpaths_and_patterns_of_the_pytest_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint_cli() == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "specs/api/check_greet.yaml:4:31: E404 invalid argument for `greeter_greet`: "
        "`args.times`: expected integer, got 'twice'",
        "",
        "Found 1 error in 1 of 1 file.",
    ]


def test_paths_given_on_the_command_line_win_over_testpaths(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint_cli("elsewhere", "specs/api/test_not_a_spec_here.yaml") == 1
    out = capsys.readouterr().out
    assert "elsewhere/check_outside.yaml:3:11: E401 unknown tool `nope`" in out
    assert "specs/api/test_not_a_spec_here.yaml:3:11: E401" in out
    assert "Found 2 errors in 2 of 2 files." in out


def test_plugin_tools_from_the_configured_folder_are_known(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, USES_PLUGIN.replace("twice", "2"), "specs/api/check_greet.yaml")
    assert lint_cli() == 0
    assert capsys.readouterr().out == "No problems found in 1 file.\n"


def test_plugins_in_the_spec_folder_are_known_as_with_pytest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, PLUGIN, "suite/plugins/greeter.py")
    write(tmp_path, USES_PLUGIN, "suite/test_greet.yaml")
    monkeypatch.chdir(tmp_path)
    assert lint_cli("suite") == 1
    assert "suite/test_greet.yaml:4:31: E404 invalid argument for `greeter_greet`" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("cwd", "target"), [(".", "proj"), ("proj", "tests/llm/api"), ("proj/tests", "llm")]
)
def test_a_folder_given_finds_the_tests_llm_plugins_of_its_project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cwd: str,
    target: str,
) -> None:
    write(tmp_path, PLUGIN, "proj/tests/llm/plugins/greeter.py")
    write(tmp_path, USES_PLUGIN.replace("twice", "2"), "proj/tests/llm/api/test_greet.yaml")
    monkeypatch.chdir(tmp_path / cwd)
    assert lint_cli(target) == 0
    assert capsys.readouterr().out == "No problems found in 1 file.\n"


def test_a_plugin_that_cannot_load_is_reported_and_its_tools_are_not_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, "raise RuntimeError('boom')\n", "project_plugins/broken.py")
    assert lint_cli() == 1
    out = capsys.readouterr().out
    assert "project_plugins/broken.py" in out
    assert " E406 " in out
    assert "E401" not in out
    assert "E404 invalid argument for `greeter_greet`" not in out


@pytest.mark.parametrize(
    ("args", "spec", "code"),
    [
        ((), CLEAN, 0),
        ((), BROKEN, 1),
        ((), WARNS, 0),
        (("--strict",), WARNS, 1),
        (("--strict",), CLEAN, 0),
        (("--ignore", "E401"), BROKEN, 0),
        (("--select", "W"), BROKEN, 0),
        (("--select", "Q1"), CLEAN, 2),
    ],
)
def test_exit_codes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    spec: str,
    code: int,
) -> None:
    write(tmp_path, spec, "test_one.yaml")
    monkeypatch.chdir(tmp_path)
    assert lint_cli(*args, "test_one.yaml") == code


def test_a_path_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert lint_cli("missing.yaml") == 2
    assert "missing.yaml: no such file or folder" in capsys.readouterr().err


def test_testpaths_without_specs_are_a_usage_error_that_names_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "specs" / "api" / "check_greet.yaml").unlink()
    assert lint_cli() == 2
    assert "no spec files found in specs (patterns: check_*.yaml)" in capsys.readouterr().err


def test_a_folder_without_specs_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, CLEAN, "specs/not_a_test.yaml")
    monkeypatch.chdir(tmp_path)
    assert lint_cli("specs") == 2
    assert "no spec files found in specs (patterns: test_*.yaml test_*.yml)" in (
        capsys.readouterr().err
    )


def test_the_report_can_be_written_to_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, BROKEN, "test_one.yaml")
    monkeypatch.chdir(tmp_path)
    assert lint_cli("--format", "json", "--output", "lint.json", "test_one.yaml") == 1
    assert capsys.readouterr().out == ""
    data = json.loads((tmp_path / "lint.json").read_text())
    assert [f["code"] for f in data["findings"]] == ["E401"]


def test_the_console_script_exits_with_the_lint_status(tmp_path: Path) -> None:
    write(tmp_path, BROKEN, "test_one.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "lint", "--format", "github", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("::error file=test_one.yaml,line=3,col=11,title=E401::")
    assert done.stderr == ""
