"""A step's ``schema:`` compiled: the JSON Schema checked (draft 2020-12), its file and every
local file its ``$ref``s name loaded, so that a bad schema or a missing file is a located spec
error before anything runs.

A schema written in the spec has the spec file's URI as its base, one in a file has the file's:
``$ref: common.json#/$defs/email`` names ``common.json`` beside the document holding the
``$ref``. Only local files are read; a ``$ref`` to anything else must name a ``$id`` of a loaded
document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from llm_pytest.dsl.imports import IMPORT_ROOTS_ENV, import_roots
from llm_pytest.dsl.loader import Document
from llm_pytest.dsl.spec import SchemaFile
from llm_pytest.errors import SpecError, ValidationError
from llm_pytest.model.plan import SchemaPlan

__all__ = ["compile_schema"]

Path_ = tuple[str | int, ...]
DRAFT = "https://json-schema.org/draft/2020-12"
_HINT = f"write a JSON Schema of draft 2020-12 ({DRAFT}/json-schema-core)"


class _Problem(Exception):
    def __init__(self, message: str, kind: str, where: Path_ = (), hint: str = _HINT) -> None:
        super().__init__(message)
        self.message, self.kind, self.where, self.hint = message, kind, where, hint


def compile_schema(
    value: SchemaFile | dict[str, Any], doc: Document, path: Path_, errors: list[SpecError]
) -> SchemaPlan | None:
    """The plan of the ``schema`` of the step at ``path`` of ``doc``; None (and a located error
    in ``errors``) when the schema or a file it needs is wrong."""
    spec_file = Path(doc.path).resolve()
    roots = import_roots(spec_file)
    at: Path_ = (*path, "schema")
    inline = not isinstance(value, SchemaFile)
    file, label = spec_file, "schema"
    if isinstance(value, SchemaFile):
        file, label, at = spec_file.parent / value.file, f"schema {value.file}", (*at, "file")
    try:
        if isinstance(value, dict):
            schema: Any = value
        else:
            schema = _read(file, f"the schema file `{value.file}`", roots)
        base = file.as_uri()
        schema = _with_base(schema, base, "the schema" if inline else f"`{file.name}`")
        resources = _reachable(schema, base, roots)
    except _Problem as problem:
        where = (*at, *problem.where) if inline else at
        errors.append(
            ValidationError(
                problem.message, doc.locate(list(where)), problem.hint, kind=problem.kind
            )
        )
        return None
    return SchemaPlan(schema, base, resources, label, doc.locate(list(at)))


def _read(file: Path, what: str, roots: Sequence[Path]) -> Any:
    """The document in ``file``, which must be a regular file inside ``roots`` (the folders
    `imports:` may read: a spec from someone else must not read the rest of the machine)."""
    try:
        target = file.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL character
        raise _Problem(
            f"{what} cannot be found: {exc}", "schema_file", hint="check the path"
        ) from None
    if not any(target.is_relative_to(root) for root in roots):
        raise _Problem(
            f"{what} is outside the project ({roots[0]})",
            "schema_file",
            hint="schema files are read inside the project only: move the file there, or add "
            f"its folder to {IMPORT_ROOTS_ENV}",
        )
    if not target.is_file():
        raise _Problem(
            f"{what} {'is a folder' if target.is_dir() else 'does not exist'} "
            f"(looked for {target})",
            "schema_file",
            hint="schema files are found relative to the file that names them; "
            "check the path, or write the schema inline under `schema:`",
        )
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Problem(
            f"{what} cannot be read: {exc}", "schema_file", hint="make it a readable UTF-8 file"
        ) from None
    try:
        if file.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
        return json.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        kind = "YAML" if file.suffix.lower() in (".yaml", ".yml") else "JSON"
        raise _Problem(
            f"{what} is not valid {kind}: {exc}",
            "schema",
            hint="a schema file holds JSON, or YAML when its name ends in .yaml or .yml",
        ) from None


def _with_base(schema: Any, base: str, what: str) -> Any:
    """``schema`` checked, with ``base`` as its ``$id`` unless it has one."""
    if not isinstance(schema, dict | bool):
        raise _Problem(
            f"{what} must be a mapping (a JSON Schema object) or true/false, "
            f"got {type(schema).__name__}",
            "schema",
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = tuple(exc.path)
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
        raise _Problem(
            f"{what} is not a valid JSON Schema"
            + (f" at `{at}`" if at else "")
            + f": {_short(exc.message)}",
            "schema",
            where,
        ) from None
    if isinstance(schema, dict) and "$id" not in schema:
        return {"$id": base, **schema}
    return schema


def _reachable(schema: Any, base: str, roots: Sequence[Path]) -> dict[str, Any]:
    """Every local document the ``$ref``s of ``schema`` reach (through each other too), by
    URI; a file that cannot be read, a reference to something else or to a part of a document
    that is not there is a :class:`_Problem`."""
    found: dict[str, Any] = {}
    ids: set[str] = set()
    refs: list[_Ref] = []
    todo: list[tuple[Any, str, bool]] = [(schema, base, True)]
    while todo:
        document, uri, root = todo.pop()
        for ref in _refs(document, uri, ids, root):
            refs.append(ref)
            target = ref.document
            if target in found or target == base or urlparse(target).scheme != "file":
                continue
            name = Path(unquote(urlparse(target).path))
            what = f"`{name.name}` (named by `$ref: {ref.text}`)"
            try:
                loaded = _with_base(_read(name, what, roots), target, what)
            except _Problem as problem:
                raise _Problem(problem.message, problem.kind, ref.where, problem.hint) from None
            found[target] = loaded
            todo.append((loaded, target, False))
    registry: Registry[Any] = Registry().with_resources(
        (uri, DRAFT202012.create_resource(contents))
        for uri, contents in [(base, schema), *found.items()]
    )
    for ref in refs:
        if urlparse(ref.document).scheme != "file" and ref.document not in ids:
            raise _Problem(
                f"`$ref: {ref.text}` names {ref.document}, which is neither a local file nor the "
                "`$id` of a schema loaded here",
                "schema_file",
                ref.where,
                hint="refer to schema files by a path relative to the file holding the `$ref`; "
                "files are not fetched over the network",
            )
        try:
            registry.resolver(ref.base).lookup(ref.text)
        except Unresolvable as exc:
            raise _Problem(
                f"`$ref: {ref.text}` points at nothing: {_short(str(exc))}",
                "schema",
                ref.where,
                hint="a `#/...` part is a JSON pointer into the document "
                "(`#/$defs/email`); check its spelling",
            ) from None
    return found


@dataclass(frozen=True, slots=True)
class _Ref:
    text: str
    base: str
    """The URI it is relative to."""
    document: str
    """The URI of the document it names (without its fragment)."""
    where: Path_
    """Its path in the spec's inline schema, or () in a file."""


def _refs(node: Any, base: str, ids: set[str], root: bool, where: Path_ = ()) -> Iterator[_Ref]:
    """Every ``$ref`` under ``node``; records the ``$id``s met in ``ids``."""
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            base = urldefrag(urljoin(base, node["$id"])).url
            ids.add(base)
        ref = node.get("$ref")
        if isinstance(ref, str):
            at = (*where, "$ref") if root else ()
            yield _Ref(ref, base, urldefrag(urljoin(base, ref)).url, at)
        for key, value in node.items():
            if key not in ("$ref", "enum", "const", "examples", "default"):
                yield from _refs(value, base, ids, root, (*where, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, base, ids, root, (*where, i))


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
