"""Finding spec files like pytest: testpaths from the rootdir, norecursedirs, spec patterns."""

from __future__ import annotations

from pathlib import Path

from llm_pytest.lint.discovery import default_paths, discover, is_spec_file
from llm_pytest.runtime.project import find_config

from .support import write


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
