"""An MCP server (SDK 2.x) that uses the whole protocol, for the protocol tests over stdio.

Tools return every kind of content, report progress and log, and ask the client to sample, to
elicit and for its roots; it has resources, a resource template, prompts and completions.

    protocol_server.py [--http PORT]    (stdio, or streamable HTTP on 127.0.0.1:PORT/mcp)

With the environment variable EXTRA_TOOL set, it also has a tool of that name that answers
`extra`, for tests of tool names.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import (
    Annotations,
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    Completion,
    EmbeddedResource,
    EmptyResult,
    ImageContent,
    PromptReference,
    ResourceLink,
    ResourceTemplateReference,
    SamplingMessage,
    SetLevelRequestParams,
    TextContent,
    TextResourceContents,
)
from pydantic import BaseModel, Field

server = MCPServer("protocol", version="1.2.3", instructions="Call `gallery` to see everything.")
logging.getLogger().setLevel(logging.WARNING)  # constructing MCPServer set it to INFO

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 8).decode()
WAV = base64.b64encode(b"RIFF" + b"\0" * 4).decode()
BLOB = base64.b64encode(b"\x00\x01\x02").decode()


@server.tool()
def gallery() -> CallToolResult:
    """One block of every kind of content."""
    return CallToolResult(
        content=[
            TextContent(text="42\n", annotations=Annotations(audience=["user"], priority=0.5)),
            ImageContent(data=PNG, mime_type="image/png"),
            AudioContent(data=WAV, mime_type="audio/wav"),
            EmbeddedResource(
                resource=TextResourceContents(
                    uri="file:///notes/a.txt", mime_type="text/plain", text="first note"
                )
            ),
            EmbeddedResource(
                resource=BlobResourceContents(
                    uri="file:///notes/a.bin", mime_type="application/octet-stream", blob=BLOB
                )
            ),
            ResourceLink(uri="file:///notes/b.csv", name="b.csv", mime_type="text/csv", size=12),
        ]
    )


@server.tool()
def count(n: Annotated[int, Field(ge=0, le=10, description="A number from 0 to 10.")]) -> str:
    """Answer `n` back; the server rejects anything outside 0..10 itself."""
    return f"counted {n}"


LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
log_level = ["debug"]


async def set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
    log_level[0] = params.level
    return EmptyResult()


server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)


@server.tool()
async def refuse(ctx: Context) -> str:
    """Log, then fail with a message."""
    await ctx.error("refusing")
    raise ToolError("not today")


@server.tool()
async def work(steps: int, ctx: Context) -> str:
    """Report progress `steps` times and log along the way (from the level set)."""
    threshold = LEVELS.index(log_level[0])
    if threshold <= LEVELS.index("info"):
        await ctx.info("starting")
    for i in range(steps):
        await ctx.report_progress(i + 1, steps, f"step {i + 1}")
    if threshold <= LEVELS.index("warning"):
        await ctx.warning({"done": steps}, logger_name="worker")
    return "worked"


@server.tool()
async def ask_llm(question: str, ctx: Context) -> str:
    """Ask the client's LLM (sampling) and answer with its reply."""
    reply = await ctx.session.create_message(
        [SamplingMessage(role="user", content=TextContent(text=question))],
        max_tokens=50,
        related_request_id=ctx.request_id,
    )
    content = reply.content
    text = content.text if isinstance(content, TextContent) else str(content)
    return f"the model said: {text}"


@server.tool()
async def ask_llm_or_guess(question: str, ctx: Context) -> str:
    """Ask the client's LLM (sampling); when the client cannot answer, guess instead."""
    try:
        reply = await ctx.session.create_message(
            [SamplingMessage(role="user", content=TextContent(text=question))],
            max_tokens=50,
            related_request_id=ctx.request_id,
        )
    except Exception:
        return "a guess"
    content = reply.content
    return f"the model said: {content.text if isinstance(content, TextContent) else content}"


class Contact(BaseModel):
    email: str
    subscribe: bool = False


@server.tool()
async def sign_up(ctx: Context) -> str:
    """Ask the user for a contact (elicitation) and say what came back."""
    answer = await ctx.elicit("Your contact, please", Contact)
    if answer.action == "accept":
        return f"signed up {answer.data.email} (subscribe={answer.data.subscribe})"
    return f"no sign-up: {answer.action}"


@server.tool()
async def list_roots(ctx: Context) -> list[str]:
    """The client's roots."""
    roots = await ctx.session.list_roots()
    return [str(root.uri) for root in roots.roots]


@server.tool()
async def client_can(ctx: Context) -> dict[str, bool]:
    """Which client features the client advertised."""
    caps = ctx.client_capabilities
    if caps is None:
        raise ToolError("no client capabilities")
    return {
        "sampling": caps.sampling is not None,
        "elicitation": caps.elicitation is not None,
        "roots": caps.roots is not None,
    }


@server.resource("notes://readme", name="readme", mime_type="text/plain")
def readme() -> str:
    """The readme."""
    return "read me first"


@server.resource("notes://logo", name="logo", mime_type="image/png")
def logo() -> bytes:
    """A tiny picture."""
    return base64.b64decode(PNG)


@server.resource("notes://note/{note_id}", name="note", mime_type="text/plain")
def note(note_id: str) -> str:
    """One note by id."""
    return f"note {note_id}"


@server.prompt()
def summarize(topic: str, style: str = "short") -> str:
    """Ask for a summary of `topic`."""
    return f"Summarize {topic} in a {style} way."


COLOURS = ["red", "green", "blue", "grey"]


@server.completion()
async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
    if isinstance(ref, PromptReference) and argument.name == "style":
        return Completion(values=[s for s in ["short", "shouty"] if s.startswith(argument.value)])
    if isinstance(ref, ResourceTemplateReference) and argument.name == "note_id":
        return Completion(values=[c for c in COLOURS if c.startswith(argument.value)])
    return None


if os.environ.get("EXTRA_TOOL"):

    def extra() -> str:
        return "extra"

    server.add_tool(extra, name=os.environ["EXTRA_TOOL"], description="Answer `extra`.")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
