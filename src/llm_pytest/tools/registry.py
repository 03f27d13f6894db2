"""The ToolRegistry: the single way every tool is described, validated and called.

Built-in tools, plugin methods and the tools of MCP servers all become :class:`Tool` objects in a
:class:`ToolRegistry`. The interpreter calls them, lint reads their names and schemas, and the MCP
server exposes them. A tool is called (:func:`~.calls.call_tool`) with a :class:`ToolContext`
that carries the state of one run (``stored`` values, plugin instances, resources to close when
the run ends) and the call's own deadline.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_pytest.errors import ToolError, closest
from llm_pytest.tools.arguments import ArgumentCheck

__all__ = ["TimeoutExplainer", "Tool", "ToolContext", "ToolNameClash", "ToolRegistry"]

AsyncToolFunc = Callable[["ToolContext", dict[str, Any]], Awaitable[Any]]
SyncToolFunc = Callable[["ToolContext", dict[str, Any]], Any]


@dataclass
class ToolContext:
    """What a tool sees of the run that calls it. One per run; tools may keep state here."""

    env: Mapping[str, str]
    """The environment of the run (``env.NAME`` in specs)."""
    stored: dict[str, Any] = field(default_factory=dict)
    """Values written by ``store_value``: ``stored.NAME`` in specs."""
    resources: dict[str, Any] = field(default_factory=dict)
    """Per-run objects tools create lazily (an HTTP client, plugin instances, ...)."""
    exit_stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    """Closed when the run ends, after teardown: register cleanups here."""
    spec_dir: Path | None = None
    """The folder of the running spec: the built-in tools resolve relative paths from there
    (from the current directory when None)."""
    timeout: float | None = None
    """Seconds the current call may take, for tools that pass a deadline on; the call path
    enforces it."""
    progress: object = None
    """What the current call keeps for its tool's ``explain_timeout`` (a running command)."""
    details: dict[str, Any] = field(default_factory=dict)
    """What the current call tells about itself beyond its value, read as ``call.NAME`` in a
    step's checks: ``text``, the raw text of an MCP result, say."""
    note: str | None = None
    """What the current call's tool says about it for the trace, besides its result (the
    processes a command left running)."""

    def for_call(self, timeout: float) -> ToolContext:
        """The context one call sees: this run's state, with the call's own deadline and
        progress, so calls made at once (through the MCP server) do not share them."""
        return ToolContext(
            self.env, self.stored, self.resources, self.exit_stack, self.spec_dir, timeout
        )

    async def aclose(self) -> None:
        """Run every registered cleanup (always called by the runner when a run ends)."""
        await self.exit_stack.aclose()


TimeoutExplainer = Callable[[ToolContext], ToolError | None]
"""What a tool says about a call of it that ran out of time, given that call's context."""


@dataclass(frozen=True)
class Tool:
    """One callable tool: a name, a description, a JSON Schema for its arguments and a function.

    ``func`` is either ``async def f(ctx, args)`` or a plain ``def f(ctx, args)``; a plain
    function is *blocking*: the runner calls it in a worker thread and, at its deadline, fails
    the step and abandons the thread.
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    func: AsyncToolFunc | SyncToolFunc
    source: str = "builtin"
    aliases: tuple[str, ...] = ()
    output_schema: Mapping[str, Any] | None = None
    explain_timeout: TimeoutExplainer | None = None
    """Called when a call runs out of time: the error it fails with instead of the bare
    "timed out after Ns" (a command's output so far, an MCP server's stderr); None keeps that."""
    result_fields: Mapping[str, str] = field(default_factory=dict)
    """The fields of the mapping the tool returns, each with what it holds (for the reference
    and for readers of ``tools --json``); empty when the tool does not say."""

    @functools.cached_property
    def arguments(self) -> ArgumentCheck:
        """The check of this tool's arguments, compiled on first use and kept with the tool."""
        return ArgumentCheck(self.input_schema)

    @property
    def blocking(self) -> bool:
        func = self.func
        if inspect.iscoroutinefunction(func):
            return False
        # an object whose class defines `async def __call__` is awaited too
        call = next(
            (k.__dict__["__call__"] for k in type(func).__mro__ if "__call__" in k.__dict__), None
        )
        return not inspect.iscoroutinefunction(call)


class ToolNameClash(ToolError):
    """``tool`` cannot be added: ``name`` is already taken by ``other``."""

    def __init__(self, name: str, tool: Tool, other: Tool) -> None:
        super().__init__(
            f"tool name `{name}` of {tool.source} is already used by {other.source}",
            hint="rename the plugin, method or MCP server so each tool name is unique",
        )
        self.name = name
        self.tool = tool
        self.other = other


class ToolRegistry:
    """An ordered collection of tools, looked up by name or alias."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._names: dict[str, Tool] = {}
        self._unavailable: dict[str, ToolError] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        """Register ``tool``; a name or alias that is already taken is a :class:`ToolNameClash`."""
        for name in (tool.name, *tool.aliases):
            other = self._names.get(name)
            if other is not None:
                raise ToolNameClash(name, tool, other)
        self._tools[tool.name] = tool
        for name in (tool.name, *tool.aliases):
            self._names[name] = tool

    def extended(
        self, tools: Iterable[Tool], unavailable: Mapping[str, ToolError] | None = None
    ) -> ToolRegistry:
        """A new registry with this one's tools followed by ``tools``.

        ``unavailable`` maps a tool-name prefix (an MCP server that failed to start) to the error
        that calling any tool under it raises, instead of "unknown tool".
        """
        out = ToolRegistry([*self._tools.values(), *tools])
        out._unavailable = {**self._unavailable, **(unavailable or {})}
        return out

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def names(self) -> list[str]:
        """Every name and alias a spec may use."""
        return list(self._names)

    def get(self, name: str) -> Tool:
        """The tool called ``name``; an unknown name is a :class:`ToolError` with a suggestion."""
        tool = self._names.get(name)
        if tool is None:
            for prefix, error in self._unavailable.items():
                if name.startswith((f"{prefix}_", f"{prefix}.")):
                    raise error
            raise self.unknown(name)
        return tool

    def canonical(self, name: str) -> str:
        """The name of the tool ``name`` stands for (an alias gives its tool's name); a name no
        tool has is returned as it is."""
        tool = self._names.get(name)
        return name if tool is None else tool.name

    def unknown(self, name: str) -> ToolError:
        guess = closest(name, self._names)
        hint = f"did you mean `{guess}`?" if guess else None
        known = ", ".join(sorted(self._tools)) or "none"
        return ToolError(
            f"unknown tool `{name}` (known tools: {known})",
            hint=hint
            or "plugins live in tests/llm/plugins/ (ini llm_plugin_dirs); "
            "MCP tools are named <server>_<tool>",
        )

    def validate(self, name: str, args: Mapping[str, Any]) -> list[str]:
        """Every mismatch between ``args`` and the schema of the tool ``name``, one line each."""
        return self.get(name).arguments.problems(args)
