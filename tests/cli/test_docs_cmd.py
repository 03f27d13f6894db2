"""`llm-pytest docs reference`: the reference pages are generated from the code and kept fresh."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from llm_pytest.cli.docs_cmd import pages
from llm_pytest.cli.main import main
from llm_pytest.dsl import spec
from llm_pytest.expr.functions import FUNCTIONS
from llm_pytest.expr.reference import FUNCTION_DOCS, OPERATORS
from llm_pytest.lint.codes import CODES
from llm_pytest.tools.builtin import builtin_tools

REFERENCE = Path(__file__).parents[2] / "docs" / "reference"


def test_the_committed_reference_is_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["docs", "reference", "-o", str(REFERENCE), "--check"])
    assert code == 0, capsys.readouterr().err


def test_check_fails_on_a_stale_page_naming_it_and_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["docs", "reference", "-o", str(tmp_path)]) == 0
    assert main(["docs", "reference", "-o", str(tmp_path), "--check"]) == 0
    page = tmp_path / "tools.md"
    page.write_text(page.read_text(encoding="utf-8").replace("read_file", "read_files"))
    capsys.readouterr()
    assert main(["docs", "reference", "-o", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"{page} is stale" in err
    assert f"llm-pytest docs reference -o {tmp_path}" in err


def test_check_fails_on_a_missing_page_and_on_one_that_is_not_generated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["docs", "reference", "-o", str(tmp_path)])
    (tmp_path / "cli.md").unlink()
    (tmp_path / "notes.md").write_text("# hand-written\n")
    assert main(["docs", "reference", "-o", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "cli.md is missing" in err and "notes.md is not generated" in err
    assert main(["docs", "reference", "-o", str(tmp_path)]) == 0
    assert not (tmp_path / "notes.md").exists()
    assert main(["docs", "reference", "-o", str(tmp_path), "--check"]) == 0


def _rows(text: str) -> dict[str, list[str]]:
    """The table rows of a page, by their first cell without backquotes."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows.setdefault(cells[0].strip("`"), cells)
    return rows


def test_every_spec_key_has_a_type_a_default_and_a_description() -> None:
    text = pages()["spec.md"]
    models = [
        spec.Spec,
        spec.SpecInfo,
        spec.ToolStep,
        spec.RepeatStep,
        spec.UseStep,
        spec.ExpectedError,
        spec.McpStdioServer,
        spec.McpHttpServer,
        spec.Experiment,
        spec.Verdict,
        spec.JudgeSettings,
        spec.FragmentDef,
        spec.FragmentFile,
    ]
    for model in models:
        assert f"{{#{model.__name__.lower()}}}" in text, model.__name__
        section = text.split(f"{{#{model.__name__.lower()}}}", 1)[1].split("\n## ", 1)[0]
        rows = _rows(section)
        for name, info in model.model_fields.items():
            key = info.alias or name
            assert key in rows, f"{model.__name__}.{key}"
            _, kind, default, description = rows[key]
            assert kind and default and description, f"{model.__name__}.{key}: {rows[key]}"
    rows = _rows(text.split("{#toolstep}", 1)[1])
    assert rows["retry"][1:3] == ["integer (≥ 0)", "`0`"]
    assert rows["tool"][2] == "required"


def test_every_built_in_tool_has_its_arguments_and_result_fields() -> None:
    text = pages()["tools.md"]
    for tool in builtin_tools():
        section = text.split(f"## `{tool.name}`", 1)[1].split("\n## ", 1)[0]
        rows = _rows(section)
        for argument in tool.input_schema.get("properties", {}):
            assert argument in rows, f"{tool.name}({argument})"
        assert tool.result_fields, f"{tool.name} describes no result fields"
        for name in tool.result_fields:
            assert name in rows, f"{tool.name} result {name}"
    assert "| `max_bytes` | integer" in text


def test_tools_json_shows_the_result_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--json"]) == 0
    tools = {t["name"]: t for t in json.loads(capsys.readouterr().out)}
    assert tools["read_file"]["result_fields"]["size"] == "Its size in bytes."


@pytest.mark.anyio
async def test_the_result_fields_of_the_built_in_tools_are_what_they_return(tmp_path: Path) -> None:
    from llm_pytest.tools.registry import ToolContext

    (tmp_path / "a.txt").write_text("hi")
    ctx = ToolContext(env={}, spec_dir=tmp_path)
    calls = {
        "store_value": {"name": "n", "value": 1},
        "get_value": {"name": "n"},
        "list_values": {},
        "sleep": {"seconds": 0},
        "read_file": {"path": "a.txt"},
        "run_command": {"argv": ["true"]},
    }
    tools = {t.name: t for t in builtin_tools()}
    for name, args in calls.items():
        result = await tools[name].func(ctx, args)  # type: ignore[misc]
        assert set(result) <= set(tools[name].result_fields), name


def test_every_function_and_operator_is_described() -> None:
    assert set(FUNCTION_DOCS) == set(FUNCTIONS)
    grammar = (Path(spec.__file__).parents[1] / "expr" / "grammar.lark").read_text()
    terminals = set(re.findall(r'^[A-Z]+: "([^"]+)"', grammar, re.MULTILINE))
    terminals |= set(re.findall(r'"([=!<>]=?)"', grammar))
    symbols = {part for op in OPERATORS for symbol in op.symbols for part in symbol.split()}
    punctuation = {"(", ")", "[", "]", "{", "}", ",", ":", "$${", "${", "true", "false", "null"}
    punctuation |= {"for", "if", "."}
    assert terminals - punctuation <= symbols
    rows = _rows(pages()["expressions.md"])
    for function in FUNCTIONS.values():
        assert function.usage in rows and rows[function.usage][1], function.name


def test_every_lint_code_option_ini_key_and_command_is_listed() -> None:
    generated = pages()
    lint = _rows(generated["lint-codes.md"])
    assert set(CODES) <= set(lint)
    options = _rows(generated["options.md"])
    assert options["--llm-min-pass-rate RATE"][1] == "`llm_min_pass_rate`"
    assert options["--llm-shard I/N"][1] == "—"
    assert options["--llm-override PATH=VALUE"][1] == "`llm_overrides`"
    for key in ("llm_spec_patterns", "llm_judge_base_url", "llm_redact"):
        assert key in options
    cli = generated["cli.md"]
    for command in ("lint", "schema", "plan", "tools", "mcp serve", "init", "docs reference"):
        assert f"## `llm-pytest {command}`" in cli
    assert "| `--check` |" in cli
