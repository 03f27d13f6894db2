"""Reading the pytest configuration (without pytest) and finding spec files like pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.errors import UsageError
from llm_pytest.lint.config import (
    DEFAULT_PLUGIN_DIRS,
    DEFAULT_SPEC_PATTERNS,
    find_config,
)
from llm_pytest.lint.discovery import default_paths, discover, is_spec_file

from .support import write


def test_without_a_config_the_defaults_apply_in_the_start_folder(tmp_path: Path) -> None:
    config = find_config(tmp_path)
    assert config.inifile is None
    assert config.rootdir == tmp_path.resolve()
    assert config.spec_patterns == DEFAULT_SPEC_PATTERNS
    assert config.plugin_dirs == tuple(tmp_path.resolve() / d for d in DEFAULT_PLUGIN_DIRS)


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


def test_testpaths_apply_only_from_the_rootdir_and_are_globbed(tmp_path: Path) -> None:
    write(tmp_path, '[tool.pytest.ini_options]\ntestpaths = ["suite*"]\n', "pyproject.toml")
    for name in ("suite_a", "suite_b", "other"):
        (tmp_path / name).mkdir()
    config = find_config(tmp_path)
    root = tmp_path.resolve()
    assert default_paths(config, tmp_path) == [root / "suite_a", root / "suite_b"]
    assert default_paths(config, tmp_path / "other") == [tmp_path / "other"]


def test_discovery_skips_norecursedirs_and_keeps_explicit_files(tmp_path: Path) -> None:
    for name in (
        "test_a.yaml",
        "sub/test_b.yml",
        "sub/common.yaml",
        ".venv/test_c.yaml",
        "node_modules/test_d.yaml",
        "build/test_e.yaml",
        "notes.yaml",
    ):
        write(tmp_path, "", name)
    config = find_config(tmp_path)
    found = discover([tmp_path, tmp_path / "notes.yaml"], config, tmp_path)
    assert found == ["test_a.yaml", "sub/test_b.yml", "notes.yaml"]


def test_spec_files_are_yaml_files_whose_name_matches_a_pattern_as_pytest_collects() -> None:
    patterns = ("test_*.yaml", "check_*")
    assert is_spec_file(Path("/repo/tests/test_users.yaml"), patterns)
    assert is_spec_file(Path("check_users.yml"), patterns)
    assert not is_spec_file(Path("check_users.json"), patterns)
    assert not is_spec_file(Path("tests/users.yaml"), patterns)
