"""How to reach one MCP server a spec declares under ``mcp_servers`` (LANGUAGE.md §2).

Two transports: a command started as a child process that speaks MCP over its stdin/stdout
(:class:`StdioServerConfig`), or a streamable HTTP endpoint (:class:`HttpServerConfig`).
This module imports nothing from the MCP SDK, so reading configs stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_pytest.errors import SourceLocation, ValidationError, closest

__all__ = [
    "DEFAULT_STARTUP_TIMEOUT",
    "HttpServerConfig",
    "McpServerConfig",
    "StdioServerConfig",
    "configs_from_mapping",
]

DEFAULT_STARTUP_TIMEOUT = 30.0

_STDIO_KEYS = ("command", "args", "env", "cwd")
_HTTP_KEYS = ("url", "headers")


@dataclass(frozen=True)
class StdioServerConfig:
    """A server started as a child process, speaking MCP over its stdin and stdout.

    The child gets this process's environment with ``env`` laid over it. A ``command`` of
    ``python`` or ``python3`` runs the interpreter that runs llm-pytest.
    """

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT

    def describe(self) -> str:
        """The command line, for messages."""
        return " ".join([self.command, *self.args])


@dataclass(frozen=True)
class HttpServerConfig:
    """A server already running behind a streamable HTTP endpoint (usually ``.../mcp``)."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT

    def describe(self) -> str:
        """The URL, for messages."""
        return self.url


McpServerConfig = StdioServerConfig | HttpServerConfig


def configs_from_mapping(
    mapping: Mapping[str, Any], base_dir: str | os.PathLike[str], *, path: str | None = None
) -> list[McpServerConfig]:
    """The configs of a spec's ``mcp_servers`` mapping (values already interpolated).

    A relative ``cwd`` is taken relative to ``base_dir`` (the spec's folder), which is also the
    working directory of a server that sets none, so relative paths in ``args`` mean the same
    wherever pytest runs. ``path`` is the spec file, for error locations.
    """
    base = Path(base_dir)
    if not isinstance(mapping, Mapping):
        raise _error(f"`mcp_servers` must be a mapping of server names, got {_kind(mapping)}")
    configs: list[McpServerConfig] = []
    for name, entry in mapping.items():
        where = _location(mapping, name, path)
        if not isinstance(name, str) or not name:
            raise _error(f"MCP server names must be non-empty strings, got {name!r}", where)
        if not isinstance(entry, Mapping):
            raise _error(
                f"MCP server `{name}` must be a mapping with `command` or `url`, "
                f"got {_kind(entry)}",
                where,
            )
        configs.append(_config(name, entry, base, path))
    return configs


def _config(name: str, entry: Mapping[str, Any], base: Path, path: str | None) -> McpServerConfig:
    has_command, has_url = "command" in entry, "url" in entry
    if has_command == has_url:
        problem = "sets both `command` and `url`" if has_command else "has neither"
        raise _error(
            f"MCP server `{name}` {problem}",
            _location(entry, None, path),
            hint="give `command` (with `args`, `env`, `cwd`) for a stdio server, "
            "or `url` (with `headers`) for a streamable HTTP server",
        )
    allowed = _STDIO_KEYS if has_command else _HTTP_KEYS
    for key in entry:
        if key not in allowed:
            guess = closest(str(key), allowed)
            transport = "stdio" if has_command else "HTTP"
            raise _error(
                f"unknown key `{key}` in MCP server `{name}` ({transport} servers take "
                f"{', '.join(f'`{k}`' for k in allowed)})",
                _location(entry, key, path),
                hint=f"did you mean `{guess}`?" if guess else None,
            )
    if has_url:
        return HttpServerConfig(
            name=name,
            url=_string(entry, "url", name, path),
            headers=_strings(entry, "headers", name, path),
        )
    args = entry.get("args", [])
    if not isinstance(args, list):
        raise _error(
            f"`args` of MCP server `{name}` must be a list, got {_kind(args)}",
            _location(entry, "args", path),
        )
    cwd = entry.get("cwd")
    workdir = base if cwd is None else base / _string(entry, "cwd", name, path)
    return StdioServerConfig(
        name=name,
        command=_string(entry, "command", name, path),
        args=tuple(_scalar_text(a, f"`args` of MCP server `{name}`") for a in args),
        env=_strings(entry, "env", name, path) or None,
        cwd=str(workdir),
    )


def _string(entry: Mapping[str, Any], key: str, name: str, path: str | None) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value:
        raise _error(
            f"`{key}` of MCP server `{name}` must be a non-empty string, got {value!r}",
            _location(entry, key, path),
        )
    return value


def _strings(entry: Mapping[str, Any], key: str, name: str, path: str | None) -> dict[str, str]:
    value = entry.get(key) or {}
    if not isinstance(value, Mapping):
        raise _error(
            f"`{key}` of MCP server `{name}` must be a mapping, got {_kind(value)}",
            _location(entry, key, path),
        )
    what = f"`{key}` of MCP server `{name}`"
    return {str(k): _scalar_text(v, what) for k, v in value.items()}


def _scalar_text(value: Any, what: str) -> str:
    """YAML scalars as the text a command line or header carries (``8000`` → ``"8000"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _error(f"{what} must hold strings or numbers, got {_kind(value)}")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _location(node: Any, key: Any, path: str | None) -> SourceLocation | None:
    """Where ``node[key]`` (or ``node`` itself) is, when the loader marked it."""
    if path is None:
        return None
    marks = getattr(node, "value_locs", None)
    if key is not None and isinstance(marks, dict) and key in marks:
        return SourceLocation(path, *marks[key])
    loc = getattr(node, "loc", None)
    return SourceLocation(path, *loc) if loc is not None else None


def _error(
    message: str, location: SourceLocation | None = None, hint: str | None = None
) -> ValidationError:
    return ValidationError(message, location, hint)
