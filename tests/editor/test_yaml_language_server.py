"""The spec examples as an editor sees them: yaml-language-server, mapped by the modeline.

One server process serves the whole module. Every example is opened at once and the server's
diagnostics are collected per file; the schema is found only through each file's
`# yaml-language-server: $schema=...` modeline (the `yaml.schemas` setting is empty).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .lsp_client import Diagnostic, LspClient, utf16_column

pytestmark = pytest.mark.lsp

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = REPO_ROOT / "schemas" / "llm-pytest.schema.json"
EXAMPLES = REPO_ROOT / "spec-examples"
DEFAULT_SERVER = (
    REPO_ROOT
    / ".cache"
    / "yaml-language-server"
    / "node_modules"
    / "yaml-language-server"
    / "bin"
    / "yaml-language-server"
)
SERVER_ENV = "LLM_PYTEST_YAML_LS"
INSTALL_HINT = "run scripts/install-yaml-language-server.sh, or set LLM_PYTEST_YAML_LS"

SETTINGS: dict[str, Any] = {
    "yaml": {
        "validate": True,
        "hover": True,
        "completion": True,
        # Empty on purpose: the modeline alone must map each example to the schema.
        "schemas": {},
        # No network here; the catalogs would only be fetched for files without a modeline.
        "schemaStore": {"enable": False},
        "kubernetesCRDStore": {"enable": False},
    },
    "http": {"proxy": "", "proxyStrictSSL": False},
    "[yaml]": {},
    "editor": {},
}

SCHEMA_INVALID = re.compile(r"^#\s*schema-invalid:\s*(\d+)\s*$")
# Preferred key for the hover check; any other key with a documented property will do.
HOVER_KEY = "retry_delay"


def _examples(kind: str) -> list[Path]:
    folder = EXAMPLES / kind
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def _header(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line.strip())
    return lines


def _schema_invalid_lines(path: Path) -> list[int]:
    """The 1-based lines named by the file's `# schema-invalid: LINE` header comments."""
    return [int(m.group(1)) for line in _header(path) if (m := SCHEMA_INVALID.match(line))]


VALID = _examples("valid")
INVALID = _examples("invalid")
SCHEMA_REJECTED = [path for path in INVALID if _schema_invalid_lines(path)]


def _server_entry() -> Path:
    override = os.environ.get(SERVER_ENV)
    entry = Path(override) if override else DEFAULT_SERVER
    if not entry.is_file():
        pytest.skip(f"yaml-language-server not found at {entry}: {INSTALL_HINT}")
    return entry


def _server_argv() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; yaml-language-server needs Node.js")
    return [node, str(_server_entry()), "--stdio"]


@pytest.fixture(scope="module")
def language_server() -> Iterator[LspClient]:
    with LspClient(_server_argv(), root=REPO_ROOT, settings=SETTINGS) as client:
        yield client


@pytest.fixture(scope="module")
def published(language_server: LspClient) -> dict[Path, list[Diagnostic]]:
    """Diagnostics of every example, opened together so their validations overlap."""
    uris = {path: language_server.open_document(path) for path in [*VALID, *SCHEMA_REJECTED]}
    return {path: language_server.diagnostics(uri) for path, uri in uris.items()}


def _listing(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"  {d}" for d in diagnostics) or "  (none)"


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_example_has_no_diagnostics(
    path: Path, published: dict[Path, list[Diagnostic]]
) -> None:
    diagnostics = published[path]
    assert not diagnostics, f"{path.name} should be clean in the editor:\n{_listing(diagnostics)}"


@pytest.mark.parametrize("path", SCHEMA_REJECTED, ids=[p.name for p in SCHEMA_REJECTED])
def test_schema_invalid_example_is_flagged_on_its_line(
    path: Path, published: dict[Path, list[Diagnostic]]
) -> None:
    diagnostics = published[path]
    for line in _schema_invalid_lines(path):
        assert any(d.line == line - 1 for d in diagnostics), (
            f"{path.name}: expected a diagnostic on line {line}, got:\n{_listing(diagnostics)}"
        )


def _property_descriptions(node: Any, found: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every `properties.<key>.description` anywhere in the schema, by key."""
    if isinstance(node, dict):
        for key, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict) and isinstance(prop.get("description"), str):
                found.setdefault(key, set()).add(prop["description"])
        for value in node.values():
            _property_descriptions(value, found)
    elif isinstance(node, list):
        for value in node:
            _property_descriptions(value, found)
    return found


def _key_positions(path: Path) -> Iterator[tuple[str, int, int, str]]:
    """(key, 0-based line, UTF-16 column, line text) of every block-mapping key in the file."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if match := re.match(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*):(?:\s|$)", text):
            yield match.group(1), number, utf16_column(text, match.start(1)), text


def _plain(markdown: str) -> str:
    """Hover markdown reduced to its words: escapes removed, whitespace collapsed."""
    text = re.sub(r"\\([\\`*_{}\[\]#+!])", r"\1", markdown).replace("&emsp;", " ")
    return " ".join(text.split())


def test_hover_on_a_key_shows_the_field_description(language_server: LspClient) -> None:
    descriptions = _property_descriptions(json.loads(SCHEMA.read_text(encoding="utf-8")), {})
    keys = [
        (key, path, line, column)
        for path in VALID
        for key, line, column, _ in _key_positions(path)
        if key in descriptions
    ]
    assert keys, f"no valid example uses a documented key of {SCHEMA.name}"
    key, path, line, column = min(keys, key=lambda k: k[0] != HOVER_KEY)

    uri = language_server.open_document(path)
    text = _plain(language_server.hover(uri, line, column + 1))

    expected = {_plain(d) for d in descriptions[key]}
    assert any(d in text for d in expected), (
        f"hover on `{key}` at {path.name}:{line + 1} shows {text!r}, "
        f"expected one of {sorted(expected)!r}"
    )


def test_editor_file_patterns_map_spec_files_without_a_modeline(tmp_path: Path) -> None:
    manifest = json.loads((REPO_ROOT / "editor-support/vscode/package.json").read_text("utf-8"))
    (validation,) = manifest["contributes"]["yamlValidation"]
    # The VS Code extension ships its own copy of the schema; point at the generated one,
    # relative to the workspace folder as the Neovim recipe does.
    schemas = {f"./{SCHEMA.relative_to(REPO_ROOT).as_posix()}": validation["fileMatch"]}
    settings = {**SETTINGS, "yaml": {**SETTINGS["yaml"], "schemas": schemas}}
    unknown_key = "test:\n  name: mapped\nsteps:\n  - tool: store_value\nnot_a_spec_key: 1\n"
    mapped = [
        tmp_path / "test_mapped.yaml",
        tmp_path / "test_mapped.yml",
        tmp_path / "tests" / "llm" / "mapped.yaml",
        tmp_path / "tests" / "llm" / "nested" / "mapped.yml",
    ]
    unmapped = [tmp_path / "notes.yaml", tmp_path / "tests" / "mapped.yaml"]
    for path in [*mapped, *unmapped]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(unknown_key, encoding="utf-8")

    with LspClient(_server_argv(), root=REPO_ROOT, settings=settings) as client:
        uris = {path: client.open_document(path) for path in [*mapped, *unmapped]}
        published = {path: client.diagnostics(uri) for path, uri in uris.items()}

    for path in mapped:
        assert any(d.line == 4 for d in published[path]), (
            f"{path.relative_to(tmp_path)} is not validated:\n{_listing(published[path])}"
        )
    for path in unmapped:
        assert not published[path], f"{path.relative_to(tmp_path)} should not be mapped"
