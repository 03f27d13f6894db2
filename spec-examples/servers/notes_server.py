"""A small MCP server that keeps notes in memory: the server the examples and tests talk to.

Run it over stdio (the default) or streamable HTTP::

    python notes_server.py                 # stdio
    python notes_server.py --http 8765     # http://127.0.0.1:8765/mcp

In a spec::

    mcp_servers:
      notes:
        command: python
        args: [../servers/notes_server.py]
"""

from __future__ import annotations

import argparse
import itertools
from typing import Annotated

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

server = MCPServer("notes", instructions="An in-memory notebook.", log_level="WARNING")

_notes: dict[int, dict[str, object]] = {}
_ids = itertools.count(1)


@server.tool()
def add_note(
    title: Annotated[str, Field(description="A short title")],
    body: Annotated[str, Field(description="The text of the note")],
) -> dict[str, object]:
    """Add a note and return it with its new id."""
    note_id = next(_ids)
    note: dict[str, object] = {"id": note_id, "title": title, "body": body}
    _notes[note_id] = note
    return note


@server.tool()
def list_notes() -> list[dict[str, object]]:
    """Every note, oldest first."""
    return list(_notes.values())


@server.tool()
def get_note(
    id: Annotated[int, Field(description="The id add_note returned")],
) -> dict[str, object]:
    """One note by its id."""
    note = _notes.get(id)
    if note is None:
        known = ", ".join(str(i) for i in _notes) or "none"
        raise ToolError(f"no note with id {id} (known ids: {known})")
    return note


@server.tool()
def count() -> int:
    """How many notes there are."""
    return len(_notes)


@server.tool()
async def slow(seconds: Annotated[float, Field(description="How long to wait", ge=0)]) -> str:
    """Wait, then say how long it waited (for timeout and cancellation examples)."""
    await anyio.sleep(seconds)
    return f"waited {seconds} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", type=int, metavar="PORT", help="serve streamable HTTP on PORT")
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args()
    if options.http is None:
        server.run()
    else:
        server.run("streamable-http", host=options.host, port=options.http)


if __name__ == "__main__":
    main()
