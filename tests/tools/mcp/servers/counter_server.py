"""A stdio MCP server with state, resources and prompts, for the server lifecycle tests.

It needs no MCP SDK (so it starts in milliseconds) and reads one JSON-RPC message per line.

    counter_server.py [--stubborn] [--child]

Tools: ``bump`` adds one to a counter that starts at 0 and answers the new value; ``tag``
answers the environment variable ``COUNTER_TAG`` and the arguments the server got; ``wait``
never answers. It lists one resource and one prompt. With ``PID_FILE`` set it appends its pid
to that file. ``--stubborn`` ignores SIGTERM and the end of its stdin (it keeps sleeping), as
a badly behaved server would: only SIGKILL ends it. ``--child`` starts a process that sleeps for
an hour (as ``npx`` starts ``node``) and appends its pid too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

TOOLS = [
    {
        "name": "bump",
        "description": "Add one to the counter and answer it.",
        "inputSchema": {"type": "object", "properties": {}},
    },
    {
        "name": "tag",
        "description": "Answer COUNTER_TAG and the server's arguments.",
        "inputSchema": {"type": "object", "properties": {}},
    },
    {
        "name": "wait",
        "description": "Never answer.",
        "inputSchema": {
            "type": "object",
            "properties": {"seconds": {"type": "number", "description": "Ignored"}},
            "required": ["seconds"],
        },
    },
]
RESOURCES = [{"uri": "counter://value", "name": "value", "mimeType": "text/plain"}]
PROMPTS = [
    {
        "name": "explain",
        "description": "Explain the counter.",
        "arguments": [{"name": "style", "required": False}],
    }
]


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(request: dict[str, Any], result: dict[str, Any]) -> None:
    send({"jsonrpc": "2.0", "id": request["id"], "result": result})


def text(value: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}]}


def main() -> None:
    stubborn = "--stubborn" in sys.argv[1:]
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pids = [os.getpid()]
    if "--child" in sys.argv[1:]:
        sleeper = [sys.executable, "-c", "import time; time.sleep(3600)"]
        pids.append(subprocess.Popen(sleeper, stdin=subprocess.DEVNULL).pid)
    path = os.environ.get("PID_FILE")
    if path:
        with open(path, "a") as f:
            f.write("".join(f"{pid}\n" for pid in pids))
    counter = 0
    for line in sys.stdin:
        message = json.loads(line)
        if "id" not in message:
            continue
        method = message.get("method")
        params = message.get("params") or {}
        if method == "initialize":
            capabilities = {"tools": {}, "resources": {}, "prompts": {}}
            answer(
                message,
                {
                    "protocolVersion": params["protocolVersion"],
                    "capabilities": capabilities,
                    "serverInfo": {"name": "counter", "version": "1"},
                },
            )
        elif method == "tools/list":
            answer(message, {"tools": TOOLS})
        elif method == "resources/list":
            answer(message, {"resources": RESOURCES})
        elif method == "resources/templates/list":
            answer(message, {"resourceTemplates": []})
        elif method == "prompts/list":
            answer(message, {"prompts": PROMPTS})
        elif method == "tools/call" and params["name"] == "bump":
            counter += 1
            answer(message, text(str(counter)))
        elif method == "tools/call" and params["name"] == "tag":
            tag = {"env": os.environ.get("COUNTER_TAG"), "args": sys.argv[1:]}
            answer(message, text(json.dumps(tag)))
        elif method == "tools/call" and params["name"] == "wait":
            continue
        else:
            error = {"code": -32601, "message": f"unknown method {method}"}
            send({"jsonrpc": "2.0", "id": message["id"], "error": error})
    while stubborn:
        time.sleep(3600)


if __name__ == "__main__":
    main()
