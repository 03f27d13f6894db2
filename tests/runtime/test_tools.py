"""A spec's plugin folders, its registry, and steps calling tools that no plugin offers."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.dsl.compiler import compile_file
from llm_pytest.runtime.tools import PluginDirs, SpecTools, missing_tools, project_plugin_dirs

from .support import PLUGIN, USES_PLUGIN, write

CLOCK = """\
from llm_pytest import LLMPlugin


class Clock(LLMPlugin):
    name = "clock"

    def now(self) -> int:
        return 0
"""


def test_a_spec_deep_in_a_project_finds_its_plugins_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, PLUGIN, "proj/tests/llm/plugins/greeter.py")
    spec = write(tmp_path, USES_PLUGIN, "proj/tests/llm/api/test_greet.yaml")
    monkeypatch.chdir(tmp_path)
    tools = SpecTools(project_plugin_dirs(spec))
    assert "greeter_greet" in tools.registry(spec)
    assert tools.dirs(spec).found == ((tmp_path / "proj/tests/llm/plugins").resolve(),)


def test_ini_plugin_dirs_replace_the_default_folder_and_the_spec_folder_is_added(
    tmp_path: Path,
) -> None:
    write(tmp_path, '[tool.pytest.ini_options]\nllm_plugin_dirs = ["shared"]\n', "pyproject.toml")
    for folder in ("shared", "tests/llm/plugins", "specs/plugins"):
        (tmp_path / folder).mkdir(parents=True)
    spec = write(tmp_path, USES_PLUGIN, "specs/test_greet.yaml")
    dirs = PluginDirs.of_spec(project_plugin_dirs(spec), spec)
    root = tmp_path.resolve()
    assert dirs.found == (root / "shared", root / "specs/plugins")


def test_a_tool_no_plugin_offers_is_an_error_at_its_step_naming_where_plugins_were_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, CLOCK, "tests/llm/plugins/clock.py")
    spec = write(tmp_path, USES_PLUGIN, "tests/llm/api/test_greet.yaml")
    monkeypatch.chdir(tmp_path)
    tools = SpecTools(project_plugin_dirs(spec))
    (error,) = missing_tools(compile_file(spec), tools.registry(spec), tools.dirs(spec))
    assert str(error.location) == f"{spec}:3:5"
    assert error.message.startswith("unknown tool `greeter_greet` (known tools: ")
    assert error.hint == (
        "plugins are looked for in tests/llm/plugins (ini llm_plugin_dirs names others); "
        "MCP tools are named <server>_<tool>"
    )


def test_without_any_plugin_folder_the_hint_says_where_plugins_go(tmp_path: Path) -> None:
    spec = write(tmp_path, USES_PLUGIN, "test_greet.yaml")
    tools = SpecTools(project_plugin_dirs(spec))
    (error,) = missing_tools(compile_file(spec), tools.registry(spec), tools.dirs(spec))
    assert error.hint is not None
    assert error.hint.startswith("no plugin folder was found: plugins go in tests/llm/plugins")


def test_a_misspelt_tool_is_told_the_closest_name(tmp_path: Path) -> None:
    spec = write(tmp_path, "test: {name: t}\nsteps:\n  - tool: store_valu\n", "test_typo.yaml")
    tools = SpecTools(())
    (error,) = missing_tools(compile_file(spec), tools.registry(spec), tools.dirs(spec))
    assert error.hint == "did you mean `store_value`?"


def test_tools_under_a_declared_mcp_server_are_left_to_the_run(tmp_path: Path) -> None:
    spec = write(
        tmp_path,
        "test: {name: t}\nmcp_servers:\n  notes: {command: python}\nsteps:\n"
        "  - tool: notes_add_note\n",
        "test_mcp.yaml",
    )
    tools = SpecTools(())
    assert missing_tools(compile_file(spec), tools.registry(spec), tools.dirs(spec)) == []
