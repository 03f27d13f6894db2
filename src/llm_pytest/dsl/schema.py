"""The JSON Schema of spec files, generated from the pydantic models (never written by hand).

Draft-07, which editors support best; `$defs` become `definitions`. Steps carry
`defaultSnippets` (a yaml-language-server extension) so editors offer whole step skeletons.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from llm_pytest.dsl.spec import FragmentFile, Spec

__all__ = ["FRAGMENTS_SCHEMA_ID", "SCHEMA_ID", "fragments_schema", "schema_text", "spec_schema"]

SCHEMA_ID = "https://llm-pytest.dev/schemas/llm-pytest.schema.json"
FRAGMENTS_SCHEMA_ID = "https://llm-pytest.dev/schemas/llm-pytest-fragments.schema.json"
_DRAFT = "http://json-schema.org/draft-07/schema#"

_SNIPPETS: dict[str, list[dict[str, Any]]] = {
    "ToolStep": [
        {
            "label": "tool step",
            "description": "Call a tool and save its result",
            "body": {
                "name": "$1",
                "tool": "$2",
                "args": {},
                "save_as": "$3",
                "check": ["result.$4"],
            },
        },
        {
            "label": "http_request step",
            "description": "Call an HTTP endpoint and check the status",
            "body": {
                "name": "$1",
                "tool": "http_request",
                "args": {"method": "GET", "url": "http://127.0.0.1:$2/"},
                "check": ["result.status == 200"],
            },
        },
        {
            "label": "polling step",
            "description": "Retry a tool until a condition holds",
            "body": {
                "tool": "$1",
                "retry": 10,
                "retry_delay": 1.0,
                "until": "result.$2",
            },
        },
    ],
    "RepeatStep": [
        {
            "label": "repeat block",
            "description": "Run steps several times with a loop variable",
            "body": {"name": "$1", "repeat": 3, "as": "i", "steps": [{"tool": "$2", "args": {}}]},
        }
    ],
    "UseStep": [
        {
            "label": "use fragment",
            "description": "Expand a named fragment here",
            "body": {"use": "$1", "with": {}},
        }
    ],
}


def _drop_property_titles(node: Any) -> None:
    """pydantic titles every property after its name; editors then show the name twice."""
    if isinstance(node, dict):
        for prop in node.get("properties", {}).values():
            prop.pop("title", None)
            for option in prop.get("anyOf", []):
                option.pop("title", None)
        for value in node.values():
            _drop_property_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_property_titles(value)


def _generate(
    model: type[BaseModel], schema_id: str, title: str, description: str
) -> dict[str, Any]:
    raw = model.model_json_schema(ref_template="#/definitions/{model}", mode="validation")
    _drop_property_titles(raw)
    definitions = raw.pop("$defs", {})
    for name, snippets in _SNIPPETS.items():
        if name in definitions:
            definitions[name]["defaultSnippets"] = snippets
    out: dict[str, Any] = {
        "$schema": _DRAFT,
        "$id": schema_id,
        "title": title,
        "description": description,
    }
    raw.pop("title", None)
    raw.pop("description", None)
    out.update(raw)
    out["definitions"] = dict(sorted(definitions.items()))
    return out


def spec_schema() -> dict[str, Any]:
    """The schema of one spec document (one test)."""
    return _generate(
        Spec,
        SCHEMA_ID,
        "llm-pytest spec",
        "A test for `pytest --llm`: steps that call tools, deterministic checks and "
        "natural-language expectations judged by an LLM.",
    )


def fragments_schema() -> dict[str, Any]:
    """The schema of a file of fragments that specs import."""
    return _generate(
        FragmentFile,
        FRAGMENTS_SCHEMA_ID,
        "llm-pytest fragments",
        "Named, parameterised step lists that specs `import` and `use`.",
    )


def schema_text(fragments: bool = False) -> str:
    """The schema as the text of ``schemas/*.schema.json`` (stable: sorted, indented, newline)."""
    schema = fragments_schema() if fragments else spec_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
