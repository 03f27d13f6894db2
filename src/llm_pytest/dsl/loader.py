"""Safe YAML loading that remembers where every value came from.

Mappings load as :class:`MarkedDict` and sequences as :class:`MarkedList`: plain ``dict`` and
``list`` subclasses that also carry the line and column of the container, of each key and of
each value. Nothing but plain data is accepted: explicit tags other than the core scalar and
collection tags are refused, timestamps stay strings, and alias expansion is bounded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from llm_pytest.errors import LoadError, SourceLocation, register_source

__all__ = [
    "MAX_EXPANDED_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "Document",
    "MarkedDict",
    "MarkedList",
    "load_file",
    "load_text",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_EXPANDED_NODES = 1_000_000
MAX_NESTING = 100
"""Levels of mappings and sequences inside one another that a document may have."""
MAX_EXPANDED_BYTES = 4 * MAX_FILE_BYTES
"""Text a document may hold once its aliases are expanded: every key and string counted in
characters, other values as a few bytes each."""

Mark = tuple[int, int]  # 1-based (line, col)


class MarkedDict(dict[Any, Any]):
    """A mapping that knows where it, its keys and its values are in the source."""

    __slots__ = ("key_locs", "loc", "value_locs")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc: Mark = (1, 1)
        self.key_locs: dict[Any, Mark] = {}
        self.value_locs: dict[Any, Mark] = {}


class MarkedList(list[Any]):
    """A sequence that knows where it and each of its items are in the source."""

    __slots__ = ("item_locs", "loc")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.loc: Mark = (1, 1)
        self.item_locs: list[Mark] = []


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of a spec file: one test."""

    path: str
    index: int
    data: Any
    loc: Mark

    @property
    def location(self) -> SourceLocation:
        return SourceLocation(self.path, *self.loc)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        """The location of the value at ``path`` (or of its key, with ``key=True``).

        Path parts that do not exist are skipped, so a path to a missing field gives the
        location of the nearest container that does exist.
        """
        node: Any = self.data
        mark = self.loc
        last = len(path) - 1
        for i, part in enumerate(path):
            kind = type(node)
            if kind is MarkedDict:
                locs = node.key_locs if key and i == last else node.value_locs
                found = locs.get(part) if _hashable(part) else None
                if found is None:
                    mark = node.loc
                    continue
                mark = found
                node = node[part]
            elif kind is MarkedList:
                if type(part) is int and -len(node) <= part < len(node):
                    mark = node.item_locs[part]
                    node = node[part]
                else:
                    mark = node.loc
        return SourceLocation(self.path, *mark)


def _hashable(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _SpecLoader(_BaseLoader):  # type: ignore[misc]
    """CSafeLoader (when libyaml is present) with marked containers and plain scalars only.

    Plain scalars resolve as in YAML 1.2's core schema, like editors do: `on`, `yes`, `no` are
    strings, `1:30` is not a number, and dates stay strings.
    """

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}


_CORE_RESOLVERS = [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]
for _name, _rx, _first in _CORE_RESOLVERS:
    _SpecLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_name}", re.compile(_rx), list(_first))
_SpecLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[MarkedDict]:
    data = MarkedDict()
    data.loc = _mark(node)
    yield data
    explicit = sum(1 for k, _ in node.value if k.tag != _MERGE_TAG)
    loader.flatten_mapping(node)
    merged = len(node.value) - explicit
    explicit_keys: set[Any] = set()
    for i, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=False)
        try:
            hash(key)
        except TypeError:
            raise _located_yaml_error(
                "a mapping key must be a plain value (string or number)", key_node
            ) from None
        if i >= merged:  # keys brought in by `<<` merges may be overridden; explicit ones not
            if key in explicit_keys:
                line, col = data.key_locs[key]
                raise _located_yaml_error(
                    f"duplicate key `{key}` (first defined at line {line}, column {col})",
                    key_node,
                    hint="remove one of the two; YAML would silently keep only the last",
                )
            explicit_keys.add(key)
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_locs[key] = _mark(key_node)
        data.value_locs[key] = _mark(value_node)


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[MarkedList]:
    data = MarkedList()
    data.loc = _mark(node)
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=False))
        data.item_locs.append(_mark(item))


def _refuse_tag(loader: Any, *args: Any) -> Any:
    node = args[-1]
    tag = str(node.tag or "?").replace("tag:yaml.org,2002:", "!!")
    raise _located_yaml_error(
        f"the tag `{tag}` is not allowed: spec files hold plain data only",
        node,
        hint="remove the tag; write the value as a plain string, number, list or mapping",
    )


class _LocatedYAMLError(Exception):
    def __init__(self, message: str, mark: Mark, hint: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.hint = hint


def _located_yaml_error(message: str, node: yaml.Node, hint: str | None = None) -> Exception:
    return _LocatedYAMLError(message, _mark(node), hint)


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    try:
        if text.startswith(("0x", "0o")):
            return int(text, 0)
        return int(text, 10)  # YAML 1.2: a leading zero is not octal
    except ValueError:
        raise _located_yaml_error(f"`{text}` is not a whole number", node) from None


_SpecLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SpecLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_SpecLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
for _tag in ("binary", "timestamp", "set", "omap", "pairs"):
    _SpecLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)
_SpecLoader.add_constructor(None, _refuse_tag)
_SpecLoader.add_multi_constructor("", _refuse_tag)


def load_file(path: str | os.PathLike[str]) -> list[Document]:
    """Load every document of a spec file. Raises :class:`LoadError`."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise LoadError(
            f"cannot read spec file: {exc.strerror or exc}",
            SourceLocation(name, 1, 1),
            hint="check the path",
        ) from None
    if p.is_dir():
        raise LoadError(
            "this is a folder, not a spec file",
            SourceLocation(name, 1, 1),
            hint="give the path of a .yaml file (`llm-pytest lint` accepts folders)",
        )
    if size > MAX_FILE_BYTES:
        raise _too_big(name, size)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoadError(
            f"cannot read spec file: {exc.strerror or exc}",
            SourceLocation(name, 1, 1),
            hint="check the path and its permissions",
        ) from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, name) from None
    return load_text(text, name)


def _not_utf8(exc: UnicodeDecodeError, name: str) -> LoadError:
    """A byte that is not UTF-8, located at its line and column (the line quoted as far as it
    decodes)."""
    data = exc.object
    start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    col = len(data[start : exc.start].decode("utf-8", "replace")) + 1
    register_source(name, data.decode("utf-8", "replace"))
    return LoadError(
        f"spec file is not UTF-8 text ({exc.reason}: byte {data[exc.start]:#04x})",
        SourceLocation(name, line, col),
        hint="save the file as UTF-8",
    )


def _too_big(name: str, size: int) -> LoadError:
    return LoadError(
        f"spec file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_FILE_BYTES >> 20} MB",
        SourceLocation(name, 1, 1),
        hint="split it into several files, or keep large data in a file that a step reads",
    )


def load_text(text: str, path: str = "<string>") -> list[Document]:
    """Load every non-empty document of ``text`` (at least one); ``path`` names it in errors."""
    if len(text) > MAX_FILE_BYTES and len(_utf8(text)) > MAX_FILE_BYTES:
        raise _too_big(path, len(_utf8(text)))
    register_source(path, text)
    bound = _nesting_bound(text)
    deep = bound > MAX_NESTING
    if bound > _COMPOSER_SAFE_DEPTH:
        try:
            _check_nesting_events(text, path)
        except UnicodeEncodeError as exc:  # a lone surrogate, as below
            raise _unencodable(exc, path, text) from None
    try:
        loader = _SpecLoader(text)
    except UnicodeEncodeError as exc:  # a lone surrogate, only possible in text given as str
        raise _unencodable(exc, path, text) from None
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            data = loader.construct_document(node)
            if deep:
                _check_nesting(data, path)
            if "*" in text:  # without an alias nothing can expand
                _check_expansion(data, path)
            docs.append(Document(path, len(docs), data, _mark(node)))
    except _LocatedYAMLError as exc:
        raise LoadError(exc.message, SourceLocation(path, *exc.mark), hint=exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, reached before ours
            _check_nesting_events(text, path, yaml.SafeLoader)
        raise _syntax_error(exc, path, text) from None
    except yaml.reader.ReaderError as exc:
        raise _bad_character(exc, path, text) from None
    except yaml.YAMLError as exc:
        raise LoadError(
            f"invalid YAML: {exc}", SourceLocation(path, 1, 1), hint="fix the YAML text"
        ) from None
    finally:
        loader.dispose()
    # Empty documents (a trailing `---`) are dropped; a file with nothing at all still yields
    # one empty document, so that it is reported rather than silently collecting no test.
    kept = [d for d in docs if d.data is not None]
    return kept or [Document(path, 0, None, (1, 1))]


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _unencodable(exc: UnicodeEncodeError, path: str, text: str) -> LoadError:
    return LoadError(
        f"the character U+{ord(text[exc.start]):04X} is not allowed in YAML (a lone surrogate)",
        SourceLocation(path, *_line_col(text, exc.start)),
        hint="a spec is UTF-8 text: write the character it stands for, or escape it as \\uXXXX "
        "inside a double-quoted string",
    )


def _bad_character(exc: yaml.reader.ReaderError, path: str, text: str) -> LoadError:
    """A character YAML does not allow (NUL, other control characters), where it is."""
    pos = exc.position
    line, col = _line_col(text, pos)
    char = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return LoadError(
        f"the character U+{char:04X} is not allowed in YAML ({exc.reason})",
        SourceLocation(path, line, col),
        hint='remove it; inside a double-quoted string it may be written as an escape ("\\x01")',
    )


def _syntax_error(exc: yaml.MarkedYAMLError, path: str, text: str) -> LoadError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    hint = "check the indentation and quoting near this line"
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1][: col + 1]:
        hint = "YAML does not allow tabs for indentation; use spaces"
    elif "mapping values are not allowed" in problem:
        hint = "quote a value that contains `: `, or fix the indentation of this key"
    return LoadError(
        f"YAML syntax error: {problem}{context}", SourceLocation(path, line, col), hint
    )


def _check_expansion(data: Any, path: str) -> None:
    """Refuse documents whose aliases expand beyond ``MAX_EXPANDED_NODES`` values or
    ``MAX_EXPANDED_BYTES`` of text, or loop."""
    sizes: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def size(node: Any) -> tuple[int, int]:
        if not isinstance(node, MarkedDict | MarkedList):
            return 1, len(node) if isinstance(node, str) else 8
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if key in active:
            raise LoadError(
                "a YAML alias refers to the mapping or sequence that contains it",
                SourceLocation(path, *node.loc),
                hint="recursive data cannot be a spec; copy the values instead",
            )
        active.add(key)
        nodes, chars = 1, 2
        children: Iterable[Any] = node
        if isinstance(node, dict):
            children = node.values()
            chars += sum(len(k) if isinstance(k, str) else 8 for k in node)
        for child in children:
            n, c = size(child)
            nodes += n
            chars += c
            if nodes > MAX_EXPANDED_NODES:
                raise _bomb(f"{MAX_EXPANDED_NODES:,} values", path, node)
            if chars > MAX_EXPANDED_BYTES:
                raise _bomb(f"{MAX_EXPANDED_BYTES >> 20} MB of text", path, node)
        active.discard(key)
        sizes[key] = nodes, chars
        return nodes, chars

    size(data)


def _bomb(limit: str, path: str, node: MarkedDict | MarkedList) -> LoadError:
    return LoadError(
        f"YAML aliases here expand to more than {limit}",
        SourceLocation(path, *node.loc),
        hint="this looks like an alias bomb; use fewer aliases of large values",
    )


# libyaml builds nodes by recursion in C: far deeper text than any spec needs would crash the
# process, so such text is measured on the parser's events before anything is built.
_COMPOSER_SAFE_DEPTH = 2000


def _nesting_bound(text: str) -> int:
    """An upper bound of the nesting depth of ``text``, cheap to compute.

    Block collections nest only by indenting (a sequence may sit at its key's column, so two
    levels per column), flow collections only by an opening bracket each.
    """
    widest = max(map(len, text.splitlines()), default=0)
    return 2 * (widest + 1) + text.count("[") + text.count("{")


def _check_nesting(data: Any, path: str) -> None:
    """Refuse data nested more than ``MAX_NESTING`` levels, at the first node too deep."""
    verified: dict[int, int] = {}  # id -> the deepest level the node was checked at
    active: set[int] = set()  # a recursive alias is left to _check_expansion to explain

    def check(node: MarkedDict | MarkedList, level: int) -> None:
        if level > MAX_NESTING:
            raise _too_deep(SourceLocation(path, *node.loc))
        key = id(node)
        if key in active or verified.get(key, 0) >= level:
            return
        active.add(key)
        for child in node.values() if type(node) is MarkedDict else node:
            if type(child) is MarkedDict or type(child) is MarkedList:  # scalars cannot nest
                check(child, level + 1)
        active.discard(key)
        verified[key] = level

    if isinstance(data, MarkedDict | MarkedList):
        check(data, 1)


def _check_nesting_events(text: str, path: str, loader: type[Any] = _BaseLoader) -> None:
    level = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                level += 1
                if level > MAX_NESTING:
                    mark = event.start_mark
                    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                    raise _too_deep(SourceLocation(path, line, col))
            elif isinstance(event, yaml.CollectionEndEvent):
                level -= 1
    except yaml.MarkedYAMLError as exc:
        if loader is not yaml.SafeLoader and "nesting depth" in str(exc.problem):
            # libyaml 0.2.6+ scans ahead and stops at its own depth limit before the first
            # event too deep; the pure-Python parser streams without one and reaches it.
            _check_nesting_events(text, path, yaml.SafeLoader)
        raise _syntax_error(exc, path, text) from None
    except yaml.YAMLError:  # reported with the rest of the file's problems when it loads
        return


def _too_deep(where: SourceLocation) -> LoadError:
    return LoadError(
        f"the YAML is nested more than {MAX_NESTING} levels deep here",
        where,
        hint="flatten the data, or keep deep data in a file that a step reads",
    )
