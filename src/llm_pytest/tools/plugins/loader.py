"""Project plugins: :class:`LLMPlugin` subclasses whose public methods become tools.

A plugin sets ``name``; each public method ``m`` becomes the tool ``<name>_m``, with a JSON
Schema made from the method's signature (type hints, defaults) and a description from its
docstring (the first paragraph; a Google-style ``Args:`` section describes the arguments).
``cleanup`` is awaited once when the run ends and is also the tool ``<name>_cleanup``.

Plugins come from ``*.py`` files in the plugin directories (files starting with ``_`` are not
loaded, but plugins may import them relatively: ``from ._helpers import x``) and from the
entry-point group ``llm_pytest.plugins``, which may name a plugin class or a module.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import re
import sys
import traceback
import types
import typing
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio.to_thread
import pydantic
from pydantic.json_schema import PydanticJsonSchemaWarning
from pydantic_core import to_jsonable_python

from llm_pytest.errors import SourceLocation, SpecError, ToolError
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = [
    "ENTRY_POINT_GROUP",
    "LLMPlugin",
    "discover_plugin_classes",
    "discover_plugins",
    "plugin_tools",
]

ENTRY_POINT_GROUP = "llm_pytest.plugins"

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SECTION_RE = re.compile(
    r"(Args|Arguments|Parameters|Keyword Args|Keyword Arguments|Returns|Return|Yields|Raises|"
    r"Examples?|Notes?|Attributes|See Also|Warnings?)\s*:\s*\Z"
)
_ARG_SECTIONS = {"Args", "Arguments", "Parameters", "Keyword Args", "Keyword Arguments"}
_ARG_LINE_RE = re.compile(r"\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)\Z")


class LLMPlugin:
    """Base class of project plugins: set ``name``; public methods become tools.

    One instance is created per run, on the first call of one of its tools, and
    :meth:`cleanup` is awaited when the run ends.
    """

    name: ClassVar[str]

    def __init__(self) -> None:
        """Plugins are created without arguments; subclasses call ``super().__init__()``."""

    async def cleanup(self) -> None:
        """Release what the plugin holds (browsers, connections, temporary files)."""


# --- discovery ----------------------------------------------------------------------------


def discover_plugins(
    dirs: Sequence[Path], *, entry_points: bool | Iterable[importlib.metadata.EntryPoint] = True
) -> list[Tool]:
    """The tools of every plugin in ``dirs`` and in the ``llm_pytest.plugins`` entry points.

    ``entry_points``: True reads the installed entry points, False none, and an iterable of
    ``EntryPoint`` objects exactly those. Problems raise :class:`SpecError` located in the
    plugin's source.
    """
    return [
        tool
        for cls in discover_plugin_classes(dirs, entry_points=entry_points)
        for tool in plugin_tools(cls)
    ]


def discover_plugin_classes(
    dirs: Sequence[Path], *, entry_points: bool | Iterable[importlib.metadata.EntryPoint] = True
) -> list[type[LLMPlugin]]:
    """Every plugin class of ``dirs`` and the entry points, checked to have unique names."""
    found: list[type[LLMPlugin]] = []
    for directory in dirs:
        found.extend(_load_directory(Path(directory)))
    if entry_points is True:
        found.extend(_load_entry_points(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)))
    elif entry_points is not False:
        found.extend(_load_entry_points(entry_points))
    by_name: dict[str, type[LLMPlugin]] = {}
    for cls in found:
        name = _plugin_name(cls)
        other = by_name.setdefault(name, cls)
        if other is not cls:
            raise SpecError(
                f"two plugins are named `{name}`: {_describe(other)} and {_describe(cls)}",
                _class_location(cls),
                hint="give each plugin class its own `name`",
            )
    return list(by_name.values())


def _load_directory(directory: Path) -> list[type[LLMPlugin]]:
    if not directory.is_dir():
        return []
    # A private package per directory: two projects' `my_plugin.py` never share a module name,
    # and plugin files can import their private helpers relatively.
    digest = hashlib.sha1(str(directory.resolve()).encode(), usedforsecurity=False).hexdigest()
    package_name = f"_llm_pytest_plugins_{digest[:16]}"
    package = types.ModuleType(package_name)
    package.__path__ = [str(directory.resolve())]
    for stale in [m for m in sys.modules if m.startswith(f"{package_name}.")]:
        del sys.modules[stale]  # a new discovery reads the files as they are now
    sys.modules[package_name] = package
    classes: list[type[LLMPlugin]] = []
    for file in sorted(directory.glob("*.py")):
        if not file.name.startswith("_"):
            classes.extend(_plugin_classes_of(_import_file(f"{package_name}.{file.stem}", file)))
    return classes


def _import_file(module_name: str, file: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise SpecError("plugin file cannot be loaded", SourceLocation(str(file), 1, 1))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # sys.exit() in a plugin cannot end the session
        del sys.modules[module_name]
        raise _import_failure(str(file), exc) from exc
    return module


def _import_failure(file: str, exc: BaseException) -> SpecError:
    """A located error for a plugin module that raised while it was imported."""
    location: SourceLocation | None
    if isinstance(exc, SyntaxError) and exc.filename == file:
        location = SourceLocation(file, exc.lineno or 1, exc.offset or 1)
        message = f"plugin failed to import: SyntaxError: {exc.msg}"
    else:
        location = _deepest_frame(exc, file)
        message = f"plugin failed to import: {type(exc).__name__}: {exc}"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        root = exc.name.partition(".")[0]
        hint = f"install it where pytest runs (`pip install {root}`), or remove the plugin"
    else:
        hint = "fix the error above; plugin files are imported before any spec runs"
    return SpecError(message, location, hint)


def _deepest_frame(exc: BaseException, file: str | None) -> SourceLocation | None:
    """The last traceback frame in ``file`` (any real file when None), as a location."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if (f.filename == file if file is not None else not f.filename.startswith("<"))
    ]
    if not frames:
        return None
    frame = frames[-1]
    col = frame.colno + 1 if frame.colno is not None else 1
    return SourceLocation(frame.filename, frame.lineno or 1, col)


def _plugin_classes_of(module: types.ModuleType) -> list[type[LLMPlugin]]:
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, LLMPlugin)
        and obj is not LLMPlugin
        and obj.__module__ == module.__name__
        and not obj.__name__.startswith("_")
    ]


def _load_entry_points(
    entry_points: Iterable[importlib.metadata.EntryPoint],
) -> list[type[LLMPlugin]]:
    classes: list[type[LLMPlugin]] = []
    for ep in entry_points:
        label = f"plugin entry point `{ep.name} = {ep.value}`"
        if ep.dist is not None:
            label += f" of {ep.dist.name}"
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:
            raise SpecError(
                f"{label} failed to load: {type(exc).__name__}: {exc}",
                _deepest_frame(exc, None),
                hint="reinstall the package that declares it, or fix the module it names",
            ) from exc
        if isinstance(obj, types.ModuleType):
            classes.extend(_plugin_classes_of(obj))
        elif isinstance(obj, type) and issubclass(obj, LLMPlugin):
            classes.append(obj)
        else:
            raise SpecError(
                f"{label} names {obj!r}, which is neither an LLMPlugin subclass nor a module",
                hint="point the entry point at a plugin class (`pkg.mod:MyPlugin`) or a module",
            )
    return classes


def _plugin_name(cls: type[LLMPlugin]) -> str:
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        problem = "has no `name`" if name is None else f"has an invalid `name` {name!r}"
        raise SpecError(
            f"plugin class `{cls.__qualname__}` {problem}",
            _class_location(cls),
            hint='set a class attribute such as `name = "my_plugin"` (letters, digits, _ and -); '
            "its tools are called <name>_<method>",
        )
    return name


def _class_location(obj: Callable[..., Any] | type) -> SourceLocation | None:
    """Where a class or function is defined (the column of its ``class``/``def``)."""
    try:
        file = inspect.getsourcefile(obj)
        lines, line = inspect.getsourcelines(obj)
    except (OSError, TypeError):
        return None
    if not file:
        return None
    first = lines[0] if lines else ""
    return SourceLocation(file, max(line, 1), len(first) - len(first.lstrip()) + 1)


def _describe(cls: type) -> str:
    location = _class_location(cls)
    return f"`{cls.__qualname__}` ({location.path if location else cls.__module__})"


# --- tools from a plugin class ------------------------------------------------------------


def plugin_tools(cls: type[LLMPlugin]) -> list[Tool]:
    """The tools of one plugin class: one per public method, then ``<name>_cleanup``."""
    name = _plugin_name(cls)
    slot = _Slot(cls, name)
    tools = [
        _method_tool(slot, attr, func, bound)
        for attr, (func, bound) in _public_methods(cls).items()
        if attr != "cleanup"
    ]
    tools.append(_cleanup_tool(slot))
    return tools


def _public_methods(cls: type[LLMPlugin]) -> dict[str, tuple[Callable[..., Any], bool]]:
    """Public methods (plain, static and class methods) of ``cls`` and its bases other than
    LLMPlugin, base ones first: each function, and whether its first parameter is bound
    (``self`` or ``cls``) rather than given by the spec."""
    methods: dict[str, tuple[Callable[..., Any], bool]] = {}
    for klass in reversed(cls.__mro__):
        if klass is LLMPlugin or klass is object:
            continue
        for attr, value in vars(klass).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, staticmethod):
                methods[attr] = (value.__func__, False)
            elif isinstance(value, classmethod):
                methods[attr] = (value.__func__, True)
            elif inspect.isfunction(value):
                methods[attr] = (value, True)
    return methods


class _Slot:
    """Where a plugin's per-run instance lives, and its cleanup exactly once."""

    def __init__(self, cls: type[LLMPlugin], name: str) -> None:
        self.cls = cls
        self.name = name
        self.key = f"plugin:{name}"
        self.async_cleanup = inspect.iscoroutinefunction(cls.cleanup)

    def instance(self, ctx: ToolContext) -> LLMPlugin:
        plugin: LLMPlugin | None = ctx.resources.get(self.key)
        if plugin is None:
            plugin = self.cls()
            ctx.resources[self.key] = plugin
            ctx.exit_stack.push_async_callback(self._at_exit, ctx, plugin)
        return plugin

    async def cleanup(self, ctx: ToolContext) -> bool:
        """Clean up the run's instance, if there is one; the next call makes a fresh one."""
        plugin = ctx.resources.pop(self.key, None)
        if plugin is None:
            return False
        try:
            if self.async_cleanup:
                await plugin.cleanup()
            else:
                await anyio.to_thread.run_sync(plugin.cleanup, abandon_on_cancel=True)
        except SystemExit as exc:  # a cleanup cannot end the session either
            where = _deepest_frame(exc, None)
            at = f" at {where.path}:{where.line}" if where is not None else ""
            raise ToolError(
                f"cleanup of the {self.name} plugin raised SystemExit({exc.code!r}){at}"
            ) from None
        return True

    async def _at_exit(self, ctx: ToolContext, plugin: LLMPlugin) -> None:
        # Skipped when the `<name>_cleanup` tool already cleaned this instance up.
        if ctx.resources.get(self.key) is plugin:
            await self.cleanup(ctx)


def _method_tool(slot: _Slot, attr: str, func: Callable[..., Any], bound: bool) -> Tool:
    tool_name = f"{slot.name}_{attr}"
    if inspect.isasyncgenfunction(func):
        raise SpecError(
            f"method `{slot.cls.__qualname__}.{attr}` is an async generator, which cannot be a "
            "tool",
            _class_location(func),
            hint="return a list (or another value) instead of yielding; "
            "prefix helper methods with `_` to keep them from becoming tools",
        )
    summary, arg_docs = _parse_docstring(inspect.getdoc(func))
    model, params = _arguments_model(slot.cls, attr, func, arg_docs, bound)
    schema = _json_schema(slot.cls, attr, model)

    def kwargs_of(args: dict[str, Any]) -> dict[str, Any]:
        if not params:
            return {}
        try:
            validated = model.model_validate(args)
        except pydantic.ValidationError as exc:
            raise ToolError(f"arguments of `{tool_name}` do not fit its signature: {exc}") from None
        return {param: getattr(validated, field) for field, param in params}

    call: Callable[[ToolContext, dict[str, Any]], Any]
    if inspect.iscoroutinefunction(func):

        async def call_async(ctx: ToolContext, args: dict[str, Any]) -> Any:
            kwargs = kwargs_of(args)
            return _to_data(await getattr(slot.instance(ctx), attr)(**kwargs))

        call = call_async
    else:

        def call_blocking(ctx: ToolContext, args: dict[str, Any]) -> Any:
            kwargs = kwargs_of(args)
            return _to_data(getattr(slot.instance(ctx), attr)(**kwargs))

        call = call_blocking
    description = summary or f"`{attr}` of the {slot.name} plugin ({slot.cls.__qualname__})."
    return Tool(tool_name, description, schema, call, source=f"plugin {slot.name}")


def _cleanup_tool(slot: _Slot) -> Tool:
    method = slot.cls.cleanup
    required = [
        p
        for p in list(inspect.signature(method).parameters.values())[1:]
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if required:
        raise SpecError(
            f"method `{slot.cls.__qualname__}.cleanup` must take no arguments, "
            f"but requires `{required[0].name}`",
            _class_location(method),
            hint="cleanup runs by itself when the run ends: `async def cleanup(self) -> None`",
        )
    summary, _ = _parse_docstring(inspect.getdoc(method))
    if method is LLMPlugin.cleanup:
        summary = f"Release what the {slot.name} plugin holds."

    async def cleanup(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        return {"plugin": slot.name, "cleaned_up": await slot.cleanup(ctx)}

    return Tool(
        f"{slot.name}_cleanup",
        f"{summary} Runs by itself when the run ends; as a step it releases the plugin at once "
        "(a later call of one of its tools starts a fresh instance).",
        {"type": "object", "properties": {}, "additionalProperties": False},
        cleanup,
        source=f"plugin {slot.name}",
    )


def _arguments_model(
    cls: type, attr: str, func: Callable[..., Any], arg_docs: dict[str, str], bound: bool
) -> tuple[type[pydantic.BaseModel], list[tuple[str, str]]]:
    """A pydantic model of ``func``'s parameters (after ``self`` or ``cls`` when ``bound``),
    and (field, param) pairs.

    Fields get neutral names with the parameter name as alias, so parameters such as ``json``
    or ``schema`` do not collide with BaseModel's own attributes.
    """
    where = f"method `{cls.__qualname__}.{attr}`"
    location = _class_location(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as exc:
        raise SpecError(
            f"{where}: its type hints cannot be resolved: {type(exc).__name__}: {exc}",
            location,
            hint="import every type its annotations name in the plugin module",
        ) from exc
    fields: dict[str, Any] = {}
    params: list[tuple[str, str]] = []
    given = list(inspect.signature(func).parameters.values())[1 if bound else 0 :]
    for index, param in enumerate(given):
        if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            raise SpecError(
                f"{where}: parameter `{param}` cannot be given by name from a spec",
                location,
                hint="tools take named arguments only: use plain parameters, no *args, "
                "**kwargs or positional-only ones",
            )
        default = ... if param.default is param.empty else param.default
        annotation = hints.get(param.name, Any)
        # Only a documented argument gets a description, so Annotated[..., Field(...)] wins.
        doc = arg_docs.get(param.name)
        info = (
            pydantic.Field(default, alias=param.name, description=doc)
            if doc is not None
            else pydantic.Field(default, alias=param.name)
        )
        fields[f"p{index}"] = (annotation, info)
        params.append((f"p{index}", param.name))
    try:
        model = pydantic.create_model(
            f"{cls.__name__}_{attr}",
            __config__=pydantic.ConfigDict(extra="forbid"),
            **fields,
        )
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as exc:
        raise SpecError(
            f"{where}: its parameters cannot become a tool schema: {exc}",
            location,
            hint="annotate parameters with JSON-like types: str, int, float, bool, list[...], "
            "dict[str, ...], X | None, Literal[...] or pydantic models",
        ) from exc
    return model, params


def _json_schema(cls: type, attr: str, model: type[pydantic.BaseModel]) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # A default that is not JSON is left out of the schema; the call still uses it.
            warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
            schema = model.model_json_schema(by_alias=True)
    except pydantic.PydanticUserError as exc:
        raise SpecError(
            f"method `{cls.__qualname__}.{attr}`: its parameters have no JSON Schema: {exc}",
            _class_location(getattr(cls, attr)),
            hint="annotate parameters with JSON-like types (str, int, list[str], models, ...)",
        ) from exc
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema


def _parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The first paragraph, and the argument descriptions of Google-style sections."""
    if not doc:
        return "", {}
    lines = doc.splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION_RE.match(line.strip()):
            break
        summary.append(line.strip())
    args: dict[str, str] = {}
    section: str | None = None
    section_indent = entry_indent = 0
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        header = _SECTION_RE.match(stripped)
        if header and (section is None or indent <= section_indent):
            section, section_indent, entry_indent, current = header.group(1), indent, -1, None
            continue
        if section not in _ARG_SECTIONS or not stripped:
            continue
        if indent <= section_indent:
            section = None
            continue
        if entry_indent < 0:
            entry_indent = indent
        match = _ARG_LINE_RE.match(stripped)
        if indent == entry_indent and match:
            current = match.group(1)
            args[current] = match.group(2)
        elif current is not None:
            args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(summary), args


def _to_data(value: Any) -> Any:
    """A tool result as plain data: models dumped as JSON, bytes as text (base64 when they are
    not UTF-8), unknown objects as ``str``."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    try:
        return to_jsonable_python(value, by_alias=False, fallback=str)
    except UnicodeDecodeError:
        # Bytes that are not UTF-8 are kept as base64.
        return to_jsonable_python(value, by_alias=False, fallback=str, bytes_mode="base64")
