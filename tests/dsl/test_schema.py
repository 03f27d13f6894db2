"""The generated JSON Schema: fresh, descriptive, and in agreement with the models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from llm_pytest.dsl.loader import load_file
from llm_pytest.dsl.schema import SCHEMA_ID, schema_text, spec_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "spec-examples"


@pytest.mark.parametrize(
    ("file", "fragments"),
    [("llm-pytest.schema.json", False), ("llm-pytest-fragments.schema.json", True)],
)
def test_the_committed_schema_is_not_stale(file: str, fragments: bool) -> None:
    committed = (SCHEMAS / file).read_text(encoding="utf-8")
    assert committed == schema_text(fragments=fragments), (
        f"schemas/{file} is stale: run `llm-pytest schema{' --fragments' if fragments else ''}"
        f" > schemas/{file}`"
    )


def test_the_schema_has_a_stable_id_and_is_draft_07() -> None:
    schema = spec_schema()
    assert schema["$id"] == SCHEMA_ID
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_every_field_has_a_description_for_editors() -> None:
    schema = spec_schema()
    definitions = schema["definitions"]

    def described(body: dict[str, object]) -> bool:
        ref = body.get("$ref")  # draft-07 ignores siblings of $ref: the definition describes it
        if isinstance(ref, str):
            return bool(definitions[ref.rsplit("/", 1)[-1]].get("description"))
        return bool(body.get("description"))

    missing = [
        f"{name}.{prop}"
        for name, definition in definitions.items()
        for prop, body in definition.get("properties", {}).items()
        if not described(body)
    ]
    missing += [p for p, body in schema["properties"].items() if not described(body)]
    assert missing == []


def test_steps_offer_default_snippets() -> None:
    definitions = spec_schema()["definitions"]
    for name in ("ToolStep", "RepeatStep", "UseStep"):
        assert definitions[name]["defaultSnippets"], name


def _spec_files(folder: str) -> list[Path]:
    return sorted((EXAMPLES / folder).glob("*.yaml"))


def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads((SCHEMAS / "llm-pytest.schema.json").read_text()))


@pytest.mark.parametrize("path", _spec_files("valid"), ids=lambda p: p.name)
def test_the_schema_accepts_every_valid_example(path: Path) -> None:
    validator = _validator()
    for doc in load_file(path):
        errors = [e.message for e in validator.iter_errors(doc.data)]
        assert errors == [], f"{path.name} document {doc.index}"


def _schema_invalid(path: Path) -> bool:
    return "# schema-invalid:" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path", [p for p in _spec_files("invalid") if _schema_invalid(p)], ids=lambda p: p.name
)
def test_the_schema_rejects_every_invalid_example_marked_as_a_schema_error(path: Path) -> None:
    validator = _validator()
    assert any(list(validator.iter_errors(doc.data)) for doc in load_file(path))
