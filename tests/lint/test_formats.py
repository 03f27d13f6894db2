"""The text, json, github and sarif formats of a lint report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from llm_pytest.lint import CODES, LintReport
from llm_pytest.lint.formats import render

from .support import lint

SPEC = """\
test: {name: formats}
steps:
  - name: Fetch users
    tool: list_values
    expect: "Request should complete"
  - tool: list_valus
    check: result.values == {}
"""


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LintReport:
    monkeypatch.chdir(tmp_path)
    return lint(Path("specs"), SPEC)


def test_text_has_one_line_per_finding_and_a_count_line(report: LintReport) -> None:
    out = render(report, "text", cwd=Path.cwd())
    assert out.splitlines() == [
        'specs/test_spec.yaml:5:13: W102 `expect: "Request should complete"` only asks whether '
        "the step succeeded; a judge cannot verify anything about the result from it",
        "specs/test_spec.yaml:6:11: E401 unknown tool `list_valus` (known tools: get_value, "
        "http_request, list_values, mcp_complete, mcp_get_prompt, mcp_list_prompts, "
        "mcp_list_resource_templates, mcp_list_resources, mcp_list_tools, mcp_read_resource, "
        "mcp_server_info, mcp_set_log_level, read_file, run_command, sleep, store_value)",
        "",
        "Found 1 error and 1 warning in 1 of 1 file.",
    ]


def test_text_with_excerpt_shows_the_line_a_caret_and_the_hint(report: LintReport) -> None:
    out = render(report, "text", cwd=Path.cwd(), excerpt=True)
    block = out.split("\n\n")[1].splitlines()
    assert block[0].startswith("specs/test_spec.yaml:6:11: E401 unknown tool `list_valus`")
    assert block[1] == "    6 |   - tool: list_valus"
    assert block[2] == "      |           ^"
    assert block[3] == "  hint: did you mean `list_values`?"


def test_text_says_so_when_there_is_nothing_to_report(tmp_path: Path) -> None:
    clean = lint(tmp_path, SPEC.replace("list_valus", "list_values"), select=("E",))
    assert render(clean, "text", cwd=tmp_path) == "No problems found in 1 file.\n"


def test_json_lists_findings_with_codes_locations_and_hints(report: LintReport) -> None:
    data = json.loads(render(report, "json", cwd=Path.cwd()))
    assert data["version"] == 1
    assert data["summary"] == {"files": 1, "errors": 1, "warnings": 1}
    second = data["findings"][1]
    assert second == {
        "code": "E401",
        "name": "unknown-tool",
        "severity": "error",
        "path": "specs/test_spec.yaml",
        "line": 6,
        "col": 11,
        "message": second["message"],
        "hint": "did you mean `list_values`?",
    }


def test_github_writes_one_workflow_annotation_per_finding(report: LintReport) -> None:
    lines = render(report, "github", cwd=Path.cwd()).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::warning file=specs/test_spec.yaml,line=5,col=13,title=W102::")
    assert lines[1].startswith("::error file=specs/test_spec.yaml,line=6,col=11,title=E401::")
    assert lines[1].endswith("%0Ahint: did you mean `list_values`?")


def test_github_escapes_what_workflow_commands_reserve(tmp_path: Path) -> None:
    folder = tmp_path / "a,b:c"
    report = lint(folder, SPEC.replace("Fetch users", "Fetch 100% of users"), select=("E",))
    (line,) = render(report, "github", cwd=tmp_path).splitlines()
    assert "file=" + str(folder).replace(":", "%3A").replace(",", "%2C") in line
    assert "\n" not in line


# The parts of the SARIF 2.1.0 schema (OASIS) that code-scanning services read, with the same
# required properties and value rules; unknown properties are refused where we write them.
SARIF_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/run"}},
    },
    "additionalProperties": False,
    "definitions": {
        "message": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1}},
            "additionalProperties": False,
        },
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "properties": {"driver": {"$ref": "#/definitions/driver"}},
                    "additionalProperties": False,
                },
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
            },
            "additionalProperties": False,
        },
        "driver": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "rules": {"type": "array", "items": {"$ref": "#/definitions/rule"}},
            },
            "additionalProperties": False,
        },
        "rule": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": {"$ref": "#/definitions/message"},
                "fullDescription": {"$ref": "#/definitions/message"},
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/definitions/message"},
                "locations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "properties": {
                                    "artifactLocation": {
                                        "type": "object",
                                        "required": ["uri"],
                                        "properties": {"uri": {"type": "string"}},
                                        "additionalProperties": False,
                                    },
                                    "region": {
                                        "type": "object",
                                        "properties": {
                                            "startLine": {"type": "integer", "minimum": 1},
                                            "startColumn": {"type": "integer", "minimum": 1},
                                        },
                                        "additionalProperties": False,
                                    },
                                },
                                "additionalProperties": False,
                            }
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
    },
}


def test_sarif_is_a_valid_2_1_0_log_with_rules_and_results(report: LintReport) -> None:
    log = json.loads(render(report, "sarif", cwd=Path.cwd()))
    jsonschema.Draft7Validator(SARIF_SUBSET).validate(log)
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    assert all(r["shortDescription"]["text"] for r in rules)
    warning, error = run["results"]
    assert rules[error["ruleIndex"]]["id"] == error["ruleId"] == "E401"
    assert error["level"] == "error"
    assert warning["level"] == "warning"
    assert error["message"]["text"].startswith("unknown tool `list_valus`")
    (location,) = error["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "specs/test_spec.yaml"},
        "region": {"startLine": 6, "startColumn": 11},
    }


def test_sarif_uris_are_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = lint(tmp_path / "deep" / "er", SPEC, select=("E",))
    monkeypatch.chdir(tmp_path)
    (result,) = json.loads(render(report, "sarif", cwd=Path.cwd()))["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "deep/er/test_spec.yaml"
    outside = json.loads(render(report, "sarif", cwd=tmp_path / "elsewhere"))
    uri = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert uri["artifactLocation"]["uri"] == (tmp_path / "deep/er/test_spec.yaml").as_uri()
