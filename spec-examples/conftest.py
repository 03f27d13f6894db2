"""Starts the example JSON API that the http_request examples call (on 127.0.0.1, a free port).

Specs read its address as ``${env.LLM_PYTEST_EXAMPLE_API}``.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class _ItemsApi(BaseHTTPRequestHandler):
    items: dict[int, dict[str, Any]] = {}
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path != "/items":
            self._send(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": "body must be JSON"})
            return
        with self.lock:
            item_id = len(self.items) + 1
            self.items[item_id] = {"id": item_id, **body}
        self._send(201, self.items[item_id])

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "items" and parts[1].isdigit():
            item = self.items.get(int(parts[1]))
            self._send(200 if item else 404, item or {"error": "no such item"})
        elif parts == ["items"]:
            self._send(200, {"items": list(self.items.values())})
        else:
            self._send(404, {"error": "not found"})


def pytest_configure(config: pytest.Config) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ItemsApi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    os.environ["LLM_PYTEST_EXAMPLE_API"] = f"http://127.0.0.1:{server.server_address[1]}"
    config.add_cleanup(server.shutdown)
