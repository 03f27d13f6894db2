"""The editor-support files are well formed, agree with each other and with the schema."""

from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPPORT = REPO_ROOT / "editor-support"
VSCODE = SUPPORT / "vscode"
SCHEMA = REPO_ROOT / "schemas" / "llm-pytest.schema.json"
VALID_EXAMPLES = sorted((REPO_ROOT / "spec-examples" / "valid").rglob("*.y*ml"))
MODELINE = re.compile(r"^#\s+yaml-language-server:\s*\$schema=(\S+)")
SPEC_PATTERNS = ["test_*.yaml", "test_*.yml", "tests/llm/**/*.yaml", "tests/llm/**/*.yml"]

JSON_FILES = sorted([*SUPPORT.rglob("*.json"), *SUPPORT.rglob("*.code-snippets")])


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = _load(VSCODE / "package.json")
    return manifest


def _schema() -> dict[str, Any]:
    if not SCHEMA.is_file():
        pytest.skip(f"{SCHEMA.relative_to(REPO_ROOT)} has not been generated")
    schema: dict[str, Any] = _load(SCHEMA)
    return schema


@pytest.mark.parametrize("path", JSON_FILES, ids=[str(p.relative_to(SUPPORT)) for p in JSON_FILES])
def test_editor_support_json_file_parses(path: Path) -> None:
    assert isinstance(_load(path), dict)


def test_vscode_manifest_maps_spec_files_to_the_packaged_schema() -> None:
    manifest = _manifest()
    (validation,) = manifest["contributes"]["yamlValidation"]
    assert validation["fileMatch"] == SPEC_PATTERNS
    assert validation["url"] == "./schema/llm-pytest.schema.json"
    assert "redhat.vscode-yaml" in manifest["extensionDependencies"]


def test_vscode_prepublish_copies_the_generated_schema_to_the_manifest_url() -> None:
    scripts = _manifest()["scripts"]
    assert "copy-schema" in scripts["vscode:prepublish"]
    source, target = re.findall(r"copyFileSync\('([^']+)', '([^']+)'\)", scripts["copy-schema"])[0]
    assert (VSCODE / source).resolve() == SCHEMA
    assert f"./{target}" == _manifest()["contributes"]["yamlValidation"][0]["url"]


def test_vscode_manifest_contributions_point_at_existing_files() -> None:
    contributes = _manifest()["contributes"]
    for entry in [*contributes["snippets"], *contributes["grammars"]]:
        assert (VSCODE / entry["path"]).is_file(), entry["path"]


def _grammar() -> tuple[dict[str, Any], dict[str, Any]]:
    (entry,) = _manifest()["contributes"]["grammars"]
    grammar: dict[str, Any] = _load(VSCODE / entry["path"])
    return entry, grammar


def test_interpolation_grammar_is_injected_into_yaml() -> None:
    entry, grammar = _grammar()
    assert entry["injectTo"] == ["source.yaml"]
    assert entry["scopeName"] == grammar["scopeName"]
    assert grammar["injectionSelector"].startswith("L:source.yaml")


def _regexes(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end"):
                yield value
            else:
                yield from _regexes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _regexes(value)


def test_interpolation_grammar_regexes_compile() -> None:
    _, grammar = _grammar()
    regexes = list(_regexes(grammar))
    assert regexes
    for regex in regexes:
        assert regex, "an empty regex matches everywhere"
        re.compile(regex)


def test_interpolation_grammar_scopes_the_delimiters_and_the_escape() -> None:
    _, grammar = _grammar()
    repository = grammar["repository"]
    escape, interpolation = repository["escape"], repository["interpolation"]
    begin = interpolation["beginCaptures"]["0"]["name"]
    end = interpolation["endCaptures"]["0"]["name"]
    assert begin.startswith("punctuation.definition.template-expression.begin")
    assert end.startswith("punctuation.definition.template-expression.end")
    assert interpolation["contentName"]
    assert escape["name"].startswith("constant.character.escape")

    line = "url: $${literal} ${vars.base_url}/users"
    # The escape is listed first and starts one character earlier, so it wins at `$${`.
    assert [p["include"] for p in grammar["patterns"]] == ["#escape", "#interpolation"]
    escapes = [m.start() for m in re.finditer(escape["match"], line)]
    assert escapes == [line.index("$${")]
    starts = [m.start() for m in re.finditer(interpolation["begin"], line)]
    assert line.index("${vars") in starts


_SNIPPET_TOKEN = re.compile(r"\\([$}\\])|\$(\d+)|\$\{(\d+)(:?)|\}")


def _render(text: str, pos: int, defaults: dict[str, str], nested: bool) -> tuple[str, int]:
    parts: list[str] = []
    while match := _SNIPPET_TOKEN.search(text, pos):
        parts.append(text[pos : match.start()])
        pos = match.end()
        escaped, mirror, placeholder, colon = match.groups()
        if escaped:
            parts.append(escaped)
        elif mirror:
            parts.append(defaults.get(mirror, ""))
        elif placeholder and colon:
            value, pos = _render(text, pos, defaults, nested=True)
            parts.append(defaults.setdefault(placeholder, value))
        elif placeholder:
            assert text[pos] == "}", f"malformed placeholder at {pos}: {text!r}"
            pos += 1
            parts.append(defaults.get(placeholder, ""))
        elif nested:
            return "".join(parts), pos
        else:
            parts.append("}")
    assert not nested, f"unclosed placeholder in {text!r}"
    return "".join(parts) + text[pos:], len(text)


def expand_snippet(body: list[str]) -> str:
    """The text a snippet inserts when every placeholder keeps its default."""
    return _render("\n".join(body), 0, {}, nested=False)[0]


STEPS_HEAD = "test:\n  name: snippet\nsteps:\n"
MINIMAL_SPEC = STEPS_HEAD + "  - tool: store_value\n"
# Where each snippet is typed: (the text before the cursor, the indentation of the cursor).
SNIPPET_CONTEXTS = {
    "llm-spec": ("", ""),
    "llm-step": (STEPS_HEAD, "  "),
    "llm-repeat": (STEPS_HEAD, "  "),
    "llm-check": (STEPS_HEAD, "  "),
    "llm-verdict": (MINIMAL_SPEC, ""),
    "llm-mcp-stdio": (MINIMAL_SPEC + "mcp_servers:\n", "  "),
    "llm-schema": (STEPS_HEAD, "  "),
    "llm-snapshot": (STEPS_HEAD, "  "),
}


def _snippets() -> dict[str, Any]:
    snippets: dict[str, Any] = _load(VSCODE / "snippets" / "llm-pytest.code-snippets")
    return snippets


def test_snippet_expansion_follows_vscode_placeholder_rules() -> None:
    body = ['url: "\\${vars.${1:base}}/${2:x}"', "again: $1 ${1}", "$0"]
    assert expand_snippet(body) == 'url: "${vars.base}/x"\nagain: base base\n'


@pytest.mark.parametrize("name", sorted(_snippets()))
def test_snippet_inserts_a_schema_valid_spec(name: str) -> None:
    snippet = _snippets()[name]
    assert snippet["scope"] == "yaml"
    before, indent = SNIPPET_CONTEXTS[snippet["prefix"]]
    document = before + textwrap.indent(expand_snippet(snippet["body"]), indent)
    errors = sorted(
        jsonschema.Draft7Validator(_schema()).iter_errors(yaml.safe_load(document)),
        key=lambda e: list(e.absolute_path),
    )
    assert not errors, f"{name} inserts a spec the schema rejects:\n{document}\n" + "\n".join(
        f"  {list(e.absolute_path)}: {e.message}" for e in errors
    )


def test_neovim_recipe_maps_the_same_file_patterns() -> None:
    recipe = (SUPPORT / "neovim" / "llm-pytest.lua").read_text(encoding="utf-8")
    (mapping,) = re.findall(r"\[schema\] = \{([^}]*)\}", recipe)
    assert re.findall(r'"([^"]+)"', mapping) == SPEC_PATTERNS


def _option(element: ET.Element, name: str) -> str | None:
    option = element.find(f"option[@name='{name}']")
    return None if option is None else option.get("value")


def test_jetbrains_mapping_covers_spec_files_with_draft_7() -> None:
    root = ET.parse(SUPPORT / "jetbrains" / "jsonSchemas.xml").getroot()
    info = root.find("./component/state/map/entry/value/SchemaInfo")
    assert info is not None
    assert _option(info, "relativePathToSchema") == SCHEMA.relative_to(REPO_ROOT).as_posix()
    assert _option(info, "schemaVersion") == "JSON Schema version 7"
    items = {(_option(item, "path"), _option(item, "mappingKind")) for item in info.iter("Item")}
    assert items == {
        ("test_*.yaml", "Pattern"),
        ("test_*.yml", "Pattern"),
        ("tests/llm", "Directory"),
    }


def test_schemastore_entry_url_is_the_schema_id() -> None:
    entry = _load(SUPPORT / "schemastore" / "catalog-entry.json")
    assert set(entry) >= {"name", "description", "fileMatch", "url"}
    assert entry["url"] == _schema()["$id"]


def _documents(text: str) -> list[list[str]]:
    documents: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.rstrip() == "---":
            documents.append([])
        else:
            documents[-1].append(line)
    return documents


@pytest.mark.parametrize(
    "path", VALID_EXAMPLES, ids=[str(p.relative_to(REPO_ROOT)) for p in VALID_EXAMPLES]
)
def test_every_valid_example_document_names_an_existing_schema(path: Path) -> None:
    # yaml-language-server reads the modeline per document; a document without one is not
    # validated, so "no diagnostics" would prove nothing about it.
    for number, lines in enumerate(_documents(path.read_text(encoding="utf-8")), start=1):
        header = [line for line in lines if line.strip()][:1]
        match = MODELINE.match(header[0]) if header else None
        assert match, f"document {number} of {path.name} does not start with the modeline"
        assert (path.parent / match.group(1)).resolve().is_file(), match.group(1)
