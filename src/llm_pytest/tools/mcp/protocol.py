"""Built-in tools for the rest of the MCP protocol: listings, resources, prompts, completions,
the server's own description and its log level. Each takes ``server:``, the name a spec declares
under ``mcp_servers``, and returns plain data (snake_case keys) that checks can read.

The tools find the servers of the running test through :func:`servers_in_use`, which
:class:`~llm_pytest.tools.mcp.client.McpConnections` sets while it is entered (a context
variable: every task the test starts sees the servers it started). Importing this module
imports nothing of the MCP SDK.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llm_pytest.errors import ToolError, closest
from llm_pytest.tools.registry import Tool, ToolContext

if TYPE_CHECKING:
    from mcp import Client

    from llm_pytest.tools.mcp.connection import ServerConnection

__all__ = ["PROTOCOL_TOOLS", "servers_in_use"]

Servers = Mapping[str, "ServerConnection | ToolError"]
"""The servers of the running test by name: a live connection, or why the server is not up."""

_SERVERS: contextvars.ContextVar[Servers | None] = contextvars.ContextVar(
    "llm_pytest_mcp_servers", default=None
)

LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]


@contextmanager
def servers_in_use(servers: Servers) -> Iterator[None]:
    """Let the protocol tools reach ``servers`` while the block runs."""
    token = _SERVERS.set(servers)
    try:
        yield
    finally:
        _SERVERS.reset(token)


def set_servers(servers: Servers) -> contextvars.Token[Servers | None]:
    """Let the protocol tools reach ``servers`` until :func:`reset_servers` is given the token
    (for a context entered in one method and left in another)."""
    return _SERVERS.set(servers)


def reset_servers(token: contextvars.Token[Servers | None]) -> None:
    """Undo :func:`set_servers`; a token of another context is ignored."""
    try:
        _SERVERS.reset(token)
    except ValueError:
        _SERVERS.set(None)


def _connection(args: Mapping[str, Any]) -> ServerConnection:
    name = str(args["server"])
    servers = _SERVERS.get()
    if not servers:
        raise ToolError(
            f"no MCP server `{name}`: this test declares no MCP servers",
            hint="declare the server under `mcp_servers:` in the spec",
        )
    found = servers.get(name)
    if found is None:
        declared = ", ".join(f"`{n}`" for n in servers)
        guess = closest(name, list(servers))
        return_hint = f"did you mean `{guess}`?" if guess else "use a name under `mcp_servers:`"
        raise ToolError(f"unknown MCP server `{name}` (declared: {declared})", hint=return_hint)
    if isinstance(found, ToolError):
        raise found
    return found


async def _paged(
    conn: ServerConnection,
    method: str,
    key: str,
    fetch: Callable[[Client, str | None], Awaitable[Any]],
    details: dict[str, Any],
) -> dict[str, Any]:
    from llm_pytest.tools.mcp.results import plain

    items: list[Any] = []
    cursor: str | None = None
    with conn.exchange(details):
        while True:
            page = await conn.request(f"`{method}`", functools.partial(_page, fetch, cursor))
            items.extend(plain(item) for item in getattr(page, key))
            cursor = page.next_cursor
            if cursor is None:
                break
    return {key: items}


async def _page(
    fetch: Callable[[Client, str | None], Awaitable[Any]], cursor: str | None, client: Client
) -> Any:
    return await fetch(client, cursor)


async def list_tools(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    conn = _connection(args)
    return await _paged(
        conn, "tools/list", "tools", lambda c, cur: c.list_tools(cursor=cur), ctx.details
    )


async def list_resources(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    conn = _connection(args)
    return await _paged(
        conn,
        "resources/list",
        "resources",
        lambda c, cur: c.list_resources(cursor=cur),
        ctx.details,
    )


async def list_resource_templates(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    conn = _connection(args)
    return await _paged(
        conn,
        "resources/templates/list",
        "resource_templates",
        lambda c, cur: c.list_resource_templates(cursor=cur),
        ctx.details,
    )


async def list_prompts(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    conn = _connection(args)
    return await _paged(
        conn, "prompts/list", "prompts", lambda c, cur: c.list_prompts(cursor=cur), ctx.details
    )


async def read_resource(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from mcp_types import TextResourceContents

    from llm_pytest.tools.mcp.results import resource_contents

    conn = _connection(args)
    uri = str(args["uri"])
    with conn.exchange(ctx.details):
        result = await conn.request("`resources/read`", lambda c: c.read_resource(uri))
    texts = [c.text for c in result.contents if isinstance(c, TextResourceContents)]
    ctx.details["text"] = "\n".join(texts) if texts else None
    return {"contents": [resource_contents(c) for c in result.contents]}


async def get_prompt(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from llm_pytest.tools.mcp.results import content_block

    conn = _connection(args)
    name = str(args["name"])
    arguments = {k: str(v) for k, v in (args.get("arguments") or {}).items()}
    with conn.exchange(ctx.details):
        result = await conn.request(
            "`prompts/get`", lambda c: c.get_prompt(name, arguments or None)
        )
    return {
        "description": result.description,
        "messages": [
            {"role": m.role, "content": content_block(m.content)} for m in result.messages
        ],
    }


async def complete(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from mcp_types import PromptReference, ResourceTemplateReference

    conn = _connection(args)
    ref_arg: Mapping[str, Any] = args["ref"]
    ref: PromptReference | ResourceTemplateReference
    kind = str(ref_arg.get("type", "")).removeprefix("ref/")
    if kind == "prompt" and "name" in ref_arg:
        ref = PromptReference(type="ref/prompt", name=str(ref_arg["name"]))
    elif kind == "resource" and "uri" in ref_arg:
        ref = ResourceTemplateReference(type="ref/resource", uri=str(ref_arg["uri"]))
    else:
        raise ToolError(
            f"`ref` must be {{type: prompt, name: ...}} or {{type: resource, uri: ...}}, "
            f"not {dict(ref_arg)}"
        )
    argument = {str(k): str(v) for k, v in args["argument"].items()}
    context = args.get("context")
    context_arguments = None if context is None else {str(k): str(v) for k, v in context.items()}
    with conn.exchange(ctx.details):
        result = await conn.request(
            "`completion/complete`",
            lambda c: c.complete(ref, argument, context_arguments),
        )
    done = result.completion
    return {"values": list(done.values), "total": done.total, "has_more": done.has_more}


async def server_info(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from llm_pytest.tools.mcp.results import plain

    conn = _connection(args)
    client = await conn.request("`server_info`", _live)
    info = client.server_info
    return {
        "name": info.name if info else None,
        "title": info.title if info else None,
        "version": info.version if info else None,
        "protocol_version": client.protocol_version,
        "capabilities": plain(client.server_capabilities),
        "instructions": client.instructions,
    }


async def _live(client: Client) -> Client:
    return client


async def set_log_level(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    import warnings

    from mcp.shared.exceptions import MCPDeprecationWarning

    conn = _connection(args)
    level = args["level"]

    async def send(client: Client) -> Any:
        with warnings.catch_warnings():
            # deprecated in the 2026 revision, still what servers speak
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            return await client.set_logging_level(level)

    with conn.exchange(ctx.details):
        await conn.request("`logging/setLevel`", send)
    return {"level": level}


def _noting(func: Callable[[ToolContext, dict[str, Any]], Awaitable[dict[str, Any]]]) -> Any:
    """``func``, telling the trace what the server sent during the call."""

    async def noted(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        from llm_pytest.tools.mcp.features import exchange_note

        try:
            return await func(ctx, args)
        finally:
            ctx.note = exchange_note(ctx.details)

    return noted


_SERVER = {
    "type": "string",
    "minLength": 1,
    "description": "The MCP server, by its name under `mcp_servers`.",
}


def _schema(required: list[str], example: Mapping[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"server": _SERVER, **properties},
        "required": ["server", *required],
        "additionalProperties": False,
        "examples": [{"server": "notes", **example}],
    }


_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}

PROTOCOL_TOOLS = (
    Tool(
        name="mcp_list_tools",
        description="The tools an MCP server lists now: `tools`, each with `name`, "
        "`description`, `input_schema` and `output_schema`.",
        input_schema=_schema([], {}),
        func=_noting(list_tools),
        result_fields={
            "tools": "Each tool listed: `name`, `description`, `input_schema`, `output_schema`.",
        },
    ),
    Tool(
        name="mcp_list_resources",
        description="The resources an MCP server lists: `resources`, each with `uri`, `name`, "
        "`mime_type`...",
        input_schema=_schema([], {}),
        func=_noting(list_resources),
        result_fields={
            "resources": "Each resource listed: `uri`, `name`, `mime_type`, `description`...",
        },
    ),
    Tool(
        name="mcp_list_resource_templates",
        description="The resource templates an MCP server lists: `resource_templates`, each "
        "with `uri_template`, `name`...",
        input_schema=_schema([], {}),
        func=_noting(list_resource_templates),
        result_fields={
            "resource_templates": "Each template listed: `uri_template`, `name`, `mime_type`...",
        },
    ),
    Tool(
        name="mcp_read_resource",
        description="Read a resource of an MCP server: `contents`, each with `uri`, "
        "`mime_type` and `text` or `blob` (base64) and `size`.",
        input_schema=_schema(
            ["uri"],
            {"uri": "file:///notes/readme.md"},
            uri={"type": "string", "minLength": 1, "description": "The resource's URI."},
        ),
        func=_noting(read_resource),
        result_fields={
            "contents": "Each part: `uri`, `mime_type`, `text` or `blob` (base64), `size`.",
        },
    ),
    Tool(
        name="mcp_list_prompts",
        description="The prompts an MCP server lists: `prompts`, each with `name`, "
        "`description` and `arguments`.",
        input_schema=_schema([], {}),
        func=_noting(list_prompts),
        result_fields={
            "prompts": "Each prompt listed: `name`, `description`, `arguments`.",
        },
    ),
    Tool(
        name="mcp_get_prompt",
        description="Get a prompt of an MCP server: `description` and `messages`, each with "
        "`role` and `content`.",
        input_schema=_schema(
            ["name"],
            {"name": "summarize", "arguments": {"topic": "tides"}},
            name={"type": "string", "minLength": 1, "description": "The prompt's name."},
            arguments={**_STRINGS, "description": "The prompt's arguments."},
        ),
        func=_noting(get_prompt),
        result_fields={
            "description": "The prompt's description, or null.",
            "messages": "Its messages: `role` and `content` (a content block as plain data).",
        },
    ),
    Tool(
        name="mcp_complete",
        description="Ask an MCP server to complete an argument of a prompt or resource "
        "template: `values`, `total` and `has_more`.",
        input_schema=_schema(
            ["ref", "argument"],
            {
                "ref": {"type": "prompt", "name": "summarize"},
                "argument": {"name": "style", "value": "sh"},
            },
            ref={
                "type": "object",
                "description": "What to complete for: `{type: prompt, name}` or "
                "`{type: resource, uri}` (a resource template).",
                "properties": {
                    "type": {"enum": ["prompt", "resource", "ref/prompt", "ref/resource"]},
                    "name": {"type": "string"},
                    "uri": {"type": "string"},
                },
                "required": ["type"],
                "additionalProperties": False,
            },
            argument={
                "type": "object",
                "description": "The argument: `{name, value}` (the value typed so far).",
                "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
                "required": ["name", "value"],
                "additionalProperties": False,
            },
            context={**_STRINGS, "description": "Arguments already chosen."},
        ),
        func=_noting(complete),
        result_fields={
            "values": "The completions the server suggests.",
            "total": "How many completions there are in all, or null.",
            "has_more": "Whether there are more than `values` holds, or null.",
        },
    ),
    Tool(
        name="mcp_server_info",
        description="What an MCP server said of itself at start: `name`, `title`, `version`, "
        "`protocol_version`, `capabilities` and `instructions`.",
        input_schema=_schema([], {}),
        func=_noting(server_info),
        result_fields={
            "name": "The server's name.",
            "title": "The server's title, or null.",
            "version": "The server's version.",
            "protocol_version": "The MCP protocol version agreed on.",
            "capabilities": "The capabilities the server declared, as plain data.",
            "instructions": "The server's instructions to clients, or null.",
        },
    ),
    Tool(
        name="mcp_set_log_level",
        description="Ask an MCP server to send log messages from `level` up "
        "(`logging/setLevel`); later calls read them as `call.logs`.",
        input_schema=_schema(
            ["level"],
            {"level": "warning"},
            level={"enum": LOG_LEVELS, "description": "The lowest level to send."},
        ),
        func=_noting(set_log_level),
        result_fields={
            "level": "The level asked for.",
        },
    ),
)
