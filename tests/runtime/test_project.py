"""Reading the pytest configuration without pytest: the rootdir, spec patterns, plugin folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.errors import UsageError
from llm_pytest.runtime.project import DEFAULT_PLUGIN_DIR, DEFAULT_SPEC_PATTERNS, find_config

from .support import write


def test_without_a_config_the_defaults_apply_in_the_start_folder(tmp_path: Path) -> None:
    config = find_config(tmp_path)
    assert config.inifile is None
    assert config.rootdir == tmp_path.resolve()
    assert config.spec_patterns == DEFAULT_SPEC_PATTERNS
    assert config.plugin_dirs == (tmp_path.resolve() / DEFAULT_PLUGIN_DIR,)


def test_pyproject_ini_options_are_read_from_a_parent_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        [tool.pytest.ini_options]
        testpaths = ["tests", "more"]
        llm_spec_patterns = "spec_*.yaml 'with space_*.yml'"
        llm_plugin_dirs = ["p1", "p2"]
        """,
        "pyproject.toml",
    )
    (tmp_path / "tests" / "deep").mkdir(parents=True)
    config = find_config(tmp_path / "tests" / "deep")
    assert config.rootdir == tmp_path.resolve()
    assert config.inifile == tmp_path.resolve() / "pyproject.toml"
    assert config.testpaths == ("tests", "more")
    assert config.spec_patterns == ("spec_*.yaml", "with space_*.yml")
    assert config.plugin_dirs == (tmp_path.resolve() / "p1", tmp_path.resolve() / "p2")


def test_native_toml_pytest_table_is_read(tmp_path: Path) -> None:
    write(tmp_path, '[tool.pytest]\nllm_spec_patterns = ["a_*.yaml"]\n', "pyproject.toml")
    assert find_config(tmp_path).spec_patterns == ("a_*.yaml",)


def test_pytest_ini_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path, '[tool.pytest.ini_options]\nllm_spec_patterns = "a_*.yaml"\n', "pyproject.toml")
    write(tmp_path, "[pytest]\nllm_spec_patterns =\n    b_*.yaml\n    c_*.yaml\n", "pytest.ini")
    config = find_config(tmp_path)
    assert config.inifile == tmp_path.resolve() / "pytest.ini"
    assert config.spec_patterns == ("b_*.yaml", "c_*.yaml")


def test_a_pyproject_without_pytest_settings_is_passed_over_for_a_tox_ini(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    write(tmp_path, "[pytest]\ntestpaths = specs\n", "tox.ini")
    assert find_config(tmp_path).testpaths == ("specs",)


def test_setup_cfg_is_read_from_its_tool_pytest_section(tmp_path: Path) -> None:
    write(tmp_path, "[tool:pytest]\nllm_plugin_dirs = tools/plugins\n", "setup.cfg")
    assert find_config(tmp_path).plugin_dirs == (tmp_path.resolve() / "tools/plugins",)


def test_a_pyproject_without_pytest_settings_still_marks_the_rootdir(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    (tmp_path / "sub").mkdir()
    config = find_config(tmp_path / "sub")
    assert config.rootdir == tmp_path.resolve()
    assert config.testpaths == ()


def test_an_unreadable_config_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, "[tool.pytest.ini_options\n", "pyproject.toml")
    with pytest.raises(UsageError, match="cannot read"):
        find_config(tmp_path)


def test_without_a_config_the_rootdir_is_the_nearest_folder_holding_the_plugin_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "tests" / "llm" / "plugins").mkdir(parents=True)
    (tmp_path / "tests" / "llm" / "api").mkdir()
    config = find_config(tmp_path / "tests" / "llm" / "api")
    assert config.rootdir == tmp_path.resolve()
    assert config.plugin_dirs == (tmp_path.resolve() / DEFAULT_PLUGIN_DIR,)
