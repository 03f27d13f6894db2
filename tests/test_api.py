"""``run_spec`` finds a spec's plugins as ``pytest --llm`` does, and a tool no plugin offers is
an error at its step, not a failed run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llm_pytest import run_spec
from llm_pytest.errors import SpecErrors

PLUGIN = """\
from llm_pytest import LLMPlugin


class Greeter(LLMPlugin):
    name = "greeter"

    def greet(self, who: str) -> dict:
        return {"greeting": f"hello {who}"}
"""

SPEC = """\
test: {name: greets}
steps:
  - tool: greeter_greet
    args: {who: world}
    check: result.greeting == "hello world"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose plugin lives in ``tests/llm/plugins`` and whose spec is a folder below."""
    write(tmp_path / "proj/pyproject.toml", "[tool.pytest.ini_options]\n")
    write(tmp_path / "proj/tests/llm/plugins/greeter.py", PLUGIN)
    write(tmp_path / "proj/tests/llm/api/test_greet.yaml", SPEC)
    return tmp_path / "proj"


def test_run_spec_from_another_folder_finds_the_plugins_of_the_specs_project(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.parent)
    result = run_spec("proj/tests/llm/api/test_greet.yaml")
    assert result.pass_rate == 1.0


def test_run_spec_from_inside_the_spec_folder_finds_them_too(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "tests/llm/api")
    assert run_spec("test_greet.yaml").pass_rate == 1.0


def test_run_spec_finds_the_folders_ini_llm_plugin_dirs_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "pytest.ini", "[pytest]\nllm_plugin_dirs = support/plugins\n")
    write(tmp_path / "support/plugins/greeter.py", PLUGIN)
    spec = write(tmp_path / "specs/test_greet.yaml", SPEC)
    monkeypatch.chdir(tmp_path / "specs")
    assert run_spec(spec).pass_rate == 1.0


def test_a_tool_no_plugin_offers_is_an_error_at_its_step_not_a_failed_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "tests/llm/plugins/greeter.py").unlink()
    monkeypatch.chdir(project)
    with pytest.raises(SpecErrors) as caught:
        run_spec("tests/llm/api/test_greet.yaml")
    rendered = caught.value.render()
    assert rendered.startswith(
        "tests/llm/api/test_greet.yaml:3:5: unknown tool `greeter_greet` (known tools: "
    )
    assert "hint: plugins are looked for in tests/llm/plugins " in rendered


def test_run_spec_passes_fixture_values_read_as_fixtures_names(tmp_path: Path) -> None:
    spec = tmp_path / "test_token.yaml"
    spec.write_text(
        textwrap.dedent(
            """\
            test: {name: token, fixtures: [token, service]}
            steps:
              - tool: store_value
                args: {name: t, value: "${fixtures.token}@${fixtures.service.port}"}
                check: result.value == "abc@8080"
            """
        ),
        encoding="utf-8",
    )
    given = run_spec(spec, fixtures={"token": "abc", "service": {"port": 8080}})
    assert given.pass_rate == 1.0
    missing = run_spec(spec, fixtures={"token": "abc"})
    reason = missing.runs[0].reason or ""
    assert "the pytest fixture `service` has no value in this run" in reason
    assert "the `fixtures=` argument of run_spec has no value of that name" in reason
