"""What an MCP server behind HTTP answered when it refused a request: the status and the first
line of the body (``HTTP 401 Unauthorized: bad token``), which the SDK's own error
("Server returned an error response") leaves out."""

from __future__ import annotations

import http

import httpx2

__all__ = ["HttpStatusLog", "describe_status"]

_BODY_CHARS = 200


def describe_status(status: int, reason: str, body: str) -> str:
    """``HTTP 401 Unauthorized: bad token`` (the body's first non-blank line, shortened)."""
    if not reason:
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    head = f"HTTP {status} {reason}".rstrip()
    line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    if len(line) > _BODY_CHARS:
        line = line[: _BODY_CHARS - 1] + "…"
    return f"{head}: {line}" if line else head


class HttpStatusLog:
    """An httpx response hook that keeps the last refusal (status 400 and up) of a POST, the
    method every MCP request is sent with."""

    def __init__(self) -> None:
        self.last: str | None = None

    async def __call__(self, response: httpx2.Response) -> None:
        if response.status_code < 400 or response.request.method != "POST":
            return
        try:
            await response.aread()
            body = response.text
        except (httpx2.HTTPError, UnicodeDecodeError):
            body = ""
        self.last = describe_status(response.status_code, response.reason_phrase, body)
