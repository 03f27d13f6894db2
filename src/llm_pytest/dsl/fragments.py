"""Reuse (docs/language.md §10): fragment definitions from the spec itself and from imported
files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from llm_pytest.dsl.imports import ImportRefused, import_roots, resolve_import
from llm_pytest.dsl.loader import Document, MarkedDict, load_file
from llm_pytest.dsl.spec import FragmentDef, FragmentFile
from llm_pytest.dsl.validate import validate_document
from llm_pytest.errors import (
    LoadError,
    SourceLocation,
    SpecError,
    SpecErrors,
    ValidationError,
)

__all__ = ["FragmentIndex", "FragmentSource", "load_fragments"]


@dataclass(frozen=True, slots=True)
class FragmentSource:
    """A fragment definition and where it lives (for located errors in its steps)."""

    name: str
    definition: FragmentDef
    doc: Document
    path: tuple[str | int, ...]  # path of the fragment inside doc.data


@dataclass
class FragmentIndex:
    """Every fragment a spec may `use`: its own, then those of its imports."""

    fragments: dict[str, FragmentSource] = field(default_factory=dict)
    errors: list[SpecError] = field(default_factory=list)

    def add(self, source: FragmentSource) -> None:
        other = self.fragments.get(source.name)
        if other is not None and other.doc.path != source.doc.path:
            self.errors.append(
                ValidationError(
                    f"fragment `{source.name}` is defined twice "
                    f"(also at {other.doc.locate([*other.path], key=True)})",
                    source.doc.locate([*source.path], key=True),
                    hint="rename one of them",
                    kind="fragment",
                )
            )
            return
        self.fragments.setdefault(source.name, source)


def load_fragments(
    doc: Document,
    own: dict[str, FragmentDef],
    imports: list[str],
    cache: dict[Path, tuple[Document, FragmentFile]] | None = None,
) -> FragmentIndex:
    """The fragments of ``doc`` (``own``) and of every file it imports, transitively."""
    index = FragmentIndex()
    for name, definition in own.items():
        index.add(FragmentSource(name, definition, doc, ("fragments", name)))
    cache = {} if cache is None else cache
    spec = Path(doc.path).resolve()
    roots = import_roots(spec) if imports else ()
    _import_all(doc, imports, spec.parent, [spec], roots, index, cache)
    return index


def _import_all(
    doc: Document,
    imports: list[str],
    base: Path,
    stack: list[Path],
    roots: tuple[Path, ...],
    index: FragmentIndex,
    cache: dict[Path, tuple[Document, FragmentFile]],
) -> None:
    for i, rel in enumerate(imports):
        where = doc.locate(["imports", i])
        try:
            target = resolve_import(rel, base, roots)
        except ImportRefused as exc:
            index.errors.append(_refused(rel, exc.message, where, exc.hint))
            continue
        if target in stack:
            chain = " → ".join(p.name for p in [*stack[stack.index(target) :], target])
            index.errors.append(
                ValidationError(
                    f"import cycle: {chain}",
                    where,
                    hint="fragment files may not import each other in a circle",
                    kind="import",
                )
            )
            continue
        loaded = _load(target, rel, where, index, cache)
        if loaded is None:
            continue
        fdoc, ffile = loaded
        for name, definition in ffile.fragments.items():
            index.add(FragmentSource(name, definition, fdoc, ("fragments", name)))
        _import_all(fdoc, ffile.imports, target.parent, [*stack, target], roots, index, cache)


def _load(
    target: Path,
    rel: str,
    where: SourceLocation,
    index: FragmentIndex,
    cache: dict[Path, tuple[Document, FragmentFile]],
) -> tuple[Document, FragmentFile] | None:
    if target in cache:
        return cache[target]
    # Until the file shows itself a fragment file, its problems are reported at the import
    # with no word of its content: an `imports: [.env]` must not print the secrets it holds.
    try:
        docs = load_file(target)
    except LoadError as exc:
        at = f" (a problem at line {exc.location.line})" if exc.location else ""
        hint = "fix the file; its text is not shown here, as it may not be meant as fragments"
        index.errors.append(_refused(rel, f"cannot be loaded as YAML{at}", where, hint))
        return None
    fdoc = docs[0]
    if not isinstance(fdoc.data, dict) or not {"imports", "fragments"} & fdoc.data.keys():
        index.errors.append(_refused(rel, "has no `fragments:` or `imports:`", where))
        return None
    # a fragment file may also be a whole spec; only its reuse keys matter here
    data = {k: v for k, v in fdoc.data.items() if k in ("imports", "fragments")}
    fdoc = Document(fdoc.path, fdoc.index, _keep_marks(fdoc.data, data), fdoc.loc)
    try:
        ffile = validate_document(fdoc, FragmentFile)
    except SpecErrors as exc:
        index.errors.extend(exc.errors)
        return None
    except SpecError as exc:
        index.errors.append(exc)
        return None
    cache[target] = (fdoc, ffile)
    return fdoc, ffile


def _refused(
    rel: str, problem: str, where: SourceLocation, hint: str | None = None
) -> ValidationError:
    return ValidationError(
        f"imported file `{rel}` {problem}",
        where,
        hint=hint or "import a YAML file with a `fragments:` mapping",
        kind="import",
    )


def _keep_marks(original: dict[str, object], data: dict[str, object]) -> MarkedDict:
    out = MarkedDict(data)
    if isinstance(original, MarkedDict):
        out.loc = original.loc
        out.key_locs = {k: v for k, v in original.key_locs.items() if k in data}
        out.value_locs = {k: v for k, v in original.value_locs.items() if k in data}
    return out
