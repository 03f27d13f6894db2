"""A stdio process that plays an MCP server, well or badly, for the bridge's fault tests.

It needs no MCP SDK (so it starts in milliseconds) and reads one JSON-RPC message per line.

    scripted_server.py MODE

MODE:
  exit           complain on stderr and exit with code 3 before reading anything
  crash-on-init  read the `initialize` request, write a traceback to stderr, exit with code 4
  silent         start a child process, write a banner to stdout, then never answer
  mute           read requests until stdin closes, never answering
  serve          a small working server with the tools listed in TOOLS

With the environment variable PID_FILE set, it writes its pid there (and, in `silent` mode, the
pid of its child on a second line).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

TOOLS = [
    {"name": "ping", "description": "Answer pong.", "inputSchema": {"type": "object"}},
    {"name": "hang", "description": "Never answer.", "inputSchema": {"type": "object"}},
    {
        "name": "cancelled",
        "description": "The ids of the requests the client cancelled so far.",
        "inputSchema": {"type": "object"},
    },
    {
        "name": "echo",
        "description": "Answer `text` back.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
    {
        "name": "bad_shape",
        "description": "Answer structured content that breaks its own output schema.",
        "inputSchema": {"type": "object"},
        "outputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}},
    },
    {
        "name": "exit",
        "description": "Exit at once with `code`, without answering.",
        "inputSchema": {"type": "object", "properties": {"code": {"type": "integer"}}},
    },
]


def write_pids(*pids: int) -> None:
    path = os.environ.get("PID_FILE")
    if path:
        with open(path, "w") as f:
            f.write("\n".join(str(p) for p in pids))


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(request: dict[str, Any], result: dict[str, Any]) -> None:
    send({"jsonrpc": "2.0", "id": request["id"], "result": result})


def text(value: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}]}


def serve() -> None:
    write_pids(os.getpid())
    cancelled: list[object] = []
    for line in sys.stdin:
        message = json.loads(line)
        method = message.get("method")
        params = message.get("params") or {}
        if "id" not in message:
            if method == "notifications/cancelled":
                cancelled.append(params.get("requestId"))
            continue
        if method == "initialize":
            answer(
                message,
                {
                    "protocolVersion": params["protocolVersion"],
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "scripted", "version": "1"},
                },
            )
        elif method == "tools/list":
            answer(message, {"tools": TOOLS})
        elif method == "tools/call":
            name = params["name"]
            if name == "ping":
                answer(message, text("pong"))
            elif name == "echo":
                answer(message, text(params["arguments"]["text"]))
            elif name == "bad_shape":
                answer(message, {**text("{}"), "structuredContent": {"n": "not a number"}})
            elif name == "hang":
                sys.stderr.write("waiting for a lock that never frees\n")
                sys.stderr.flush()
                continue  # the client has to give up and cancel
            elif name == "cancelled":
                answer(message, text(json.dumps(cancelled)))
            elif name == "exit":
                code = params.get("arguments", {}).get("code", 1)
                sys.stderr.write(f"fatal: the disk is full, exiting with {code}\n")
                sys.stderr.flush()
                os._exit(code)
        else:
            error = {"code": -32601, "message": f"unknown method {method}"}
            send({"jsonrpc": "2.0", "id": message["id"], "error": error})


def main() -> None:
    mode = sys.argv[1]
    if mode == "exit":
        write_pids(os.getpid())
        sys.stderr.write("fatal: NOTES_DB is not set\n")
        sys.exit(3)
    elif mode == "crash-on-init":
        write_pids(os.getpid())
        sys.stdin.readline()
        sys.stderr.write(
            "Traceback (most recent call last):\n"
            '  File "server.py", line 12, in initialize\n'
            "RuntimeError: cannot open the notes database\n"
        )
        sys.exit(4)
    elif mode == "silent":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        write_pids(os.getpid(), child.pid)
        sys.stderr.write("warming up the cache...\n")
        sys.stderr.flush()
        print("Server starting on stdio", flush=True)
        time.sleep(3600)
    elif mode == "mute":
        write_pids(os.getpid())
        for _ in sys.stdin:
            pass
    elif mode == "serve":
        serve()


if __name__ == "__main__":
    main()
