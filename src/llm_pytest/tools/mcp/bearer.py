"""Bearer-token access for the HTTP tool server: every request must carry the server's token.

The tools a server exposes run commands and read files, so an HTTP server answers only clients
that know its token (``Authorization: Bearer <token>``); any other request gets 401 with a body
saying what is missing. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequireBearer", "new_token", "token_problem"]

_TOKEN = re.compile(r"[\x21-\x7e]+")
"""What a header can carry: visible ASCII, no spaces."""


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be a bearer token (None when it can)."""
    if not token:
        return "it is empty"
    if not _TOKEN.fullmatch(token):
        return "it holds characters an HTTP header cannot carry (spaces or non-ASCII)"
    return None


class RequireBearer:
    """ASGI middleware: HTTP requests without ``Authorization: Bearer <token>`` get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("authorization")
        if given is None:
            await _refuse(send, "invalid_request", "this MCP server requires a bearer token")
        elif not hmac.compare_digest(given.encode(), self.expected):
            await _refuse(send, "invalid_token", "the bearer token is wrong")
        else:
            await self.app(scope, receive, send)


async def _refuse(send: Send, code: str, message: str) -> None:
    body = json.dumps(
        {
            "error": code,
            "error_description": f"{message}: send `Authorization: Bearer <token>` with the "
            "token the server was started with",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", f'Bearer error="{code}"'.encode()),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
