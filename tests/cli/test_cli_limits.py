"""Specs built to exhaust the tools (deep nesting, alias bombs) get a located error, not a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

STEP = "test: {name: t}\nsteps:\n  - tool: store_value\n    args: {name: a, value: "


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_pytest.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("depth", [495, 999, 1_000_000])
@pytest.mark.parametrize("command", ["plan", "lint"])
def test_data_nested_too_deeply_is_located_at_the_first_level_too_many(
    tmp_path: Path, command: str, depth: int
) -> None:
    (tmp_path / "test_deep.yaml").write_text(f"{STEP}{'[' * depth}{']' * depth}}}\n")
    done = _run(tmp_path, command, "test_deep.yaml")
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "test_deep.yaml:4:124:" in out
    assert "nested more than 100 levels deep" in out
    assert "Traceback" not in out


def test_plan_refuses_a_scalar_alias_bomb_instead_of_writing_it_out(tmp_path: Path) -> None:
    bomb = f"big: &b {'x' * 100_000}\n{STEP}[{', '.join(['*b'] * 10_000)}]}}\n"
    (tmp_path / "test_bomb.yaml").write_text(bomb)
    done = _run(tmp_path, "plan", "test_bomb.yaml")
    assert done.returncode == 1
    assert "test_bomb.yaml:5:28: YAML aliases here expand to more than 20 MB of text" in done.stderr
    assert len(done.stdout) + len(done.stderr) < 10_000


@pytest.mark.parametrize("command", ["plan", "lint"])
def test_a_huge_name_is_quoted_cut_short(tmp_path: Path, command: str) -> None:
    name = "n" * 300_000
    test = f"test: {{name: {name}}}\nsteps: [{{tool: store_value, args: {{name: a, value: 1}}}}]\n"
    (tmp_path / "test_names.yaml").write_text(f"{test}---\n{test}")
    done = _run(tmp_path, command, "test_names.yaml")
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "test_names.yaml:4:14: " in out
    assert "… (299,800 more characters)` is already used in this file (at line 1)" in out
    assert len(out) < 3_000
