"""The `llm-pytest` command: plan, schema, tools, and how it reports errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_pytest.cli.main import main
from llm_pytest.dsl.schema import schema_text

GOOD = "test: {name: t}\nsteps:\n  - tool: store_value\n    args: {name: a, value: 1}\n"


def test_plan_prints_the_compiled_plan_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD + "vars: {n: 1}\n")
    assert main(["plan", str(spec), "--override", "vars.n=5"]) == 0
    (plan,) = json.loads(capsys.readouterr().out)
    assert plan["test"] == "t" and plan["vars"] == {"n": 5}
    assert plan["steps"][0]["tool"] == "store_value"


def test_a_broken_spec_prints_located_errors_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("test: {name: t}\nsteps:\n  - tool: a\n    retry_dely: 1\n")
    assert main(["plan", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:4:5: unknown key `retry_dely`" in err
    assert "hint: did you mean `retry_delay`?" in err
    assert "Traceback" not in err


def test_schema_prints_the_generated_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_text()


def test_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text("{}")
    assert main(["schema", "--check", str(stale)]) == 1
    stale.write_text(schema_text())
    assert main(["schema", "--check", str(stale)]) == 0


def test_tools_lists_builtins_and_plugins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "greeter.py").write_text(
        "from llm_pytest import LLMPlugin\n\n"
        "class Greeter(LLMPlugin):\n    name = 'greeter'\n\n"
        "    async def hello(self, who: str) -> dict:\n        '''Say hello.'''\n"
        "        return {'greeting': f'hello {who}'}\n"
    )
    assert main(["tools", "--plugins", str(plugins)]) == 0
    out = capsys.readouterr().out
    assert "store_value(name, value)  [builtin]" in out
    assert "greeter_hello(who)" in out and "Say hello." in out


def test_an_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_the_console_script_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("llm-pytest ")


def test_plan_of_a_folder_is_a_located_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path}:1:1: this is a folder, not a spec file")
    assert "Traceback" not in err


def test_an_error_on_a_very_long_line_shows_the_part_around_the_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "s.yaml"
    filler = "x" * 3000
    spec.write_text(GOOD.replace("value: 1", f'value: "{filler} ${{missing}}"'))
    assert main(["plan", str(spec)]) == 1
    source, caret = capsys.readouterr().err.splitlines()[1:3]
    assert len(source) < 200 and source.endswith('${missing}"}')
    assert source[caret.index("^") :].startswith("missing")


def test_an_error_that_is_not_a_spec_s_is_told_by_llm_pytest_with_its_hint(
    tmp_path: Path,
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "run.py").write_text(
        "from llm_pytest import LLMPlugin\n\n"
        "class Run(LLMPlugin):\n    name = 'run'\n\n"
        "    async def command(self) -> str:\n        '''Shadow run_command.'''\n"
        "        return 'mine'\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", "tools", "--plugins", str(plugins)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "llm-pytest: error: tool name `run_command` of plugin run is already used by builtin\n"
        "  hint: rename the plugin, method or MCP server so each tool name is unique\n"
    )


GREETER = (
    "from llm_pytest import LLMPlugin\n\n"
    "class Greeter(LLMPlugin):\n    name = 'greeter'\n\n"
    "    async def hello(self, who: str) -> dict:\n        '''Say hello.'''\n"
    "        return {'greeting': f'hello {who}'}\n"
)
GREETS = "test: {name: t}\nsteps:\n  - tool: greeter_hello\n    args: {who: you}\n"


def llm_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_plan_finds_the_plugins_of_the_specs_project_from_another_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "proj/tests/llm/plugins").mkdir(parents=True)
    (tmp_path / "proj/tests/llm/plugins/greeter.py").write_text(GREETER)
    (tmp_path / "proj/tests/llm/api").mkdir()
    (tmp_path / "proj/tests/llm/api/test_greet.yaml").write_text(GREETS)
    done = llm_pytest(tmp_path, "plan", "proj/tests/llm/api/test_greet.yaml")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["steps"][0]["tool"] == "greeter_hello"


def test_plan_of_a_spec_calling_a_tool_no_plugin_offers_is_an_error_at_the_step(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_greet.yaml").write_text(GREETS)
    done = llm_pytest(tmp_path, "plan", "test_greet.yaml")
    assert done.returncode == 1
    assert done.stderr.startswith("test_greet.yaml:3:5: unknown tool `greeter_hello`")
    assert "hint: no plugin folder was found" in done.stderr
    assert done.stdout == ""


def test_tools_lists_the_plugins_of_the_folders_ini_llm_plugin_dirs_names(
    tmp_path: Path,
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nllm_plugin_dirs = support/plugins\n")
    (tmp_path / "support/plugins").mkdir(parents=True)
    (tmp_path / "support/plugins/greeter.py").write_text(GREETER)
    (tmp_path / "docs").mkdir()
    done = llm_pytest(tmp_path / "docs", "tools")
    assert done.returncode == 0, done.stderr
    assert "greeter_hello(who)  [plugin greeter]  Say hello." in done.stdout.splitlines()
