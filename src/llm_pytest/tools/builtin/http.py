"""``http_request``: one HTTP call through a client shared by the whole run.

The client lives in ``ToolContext.resources`` and is closed with the run, so a spec that makes
a thousand requests reuses its connections. A status code is data for the judge, never an
error; only a request that gets no response at all fails the step. The body is read as it
streams in and cut at ``max_bytes`` (the rest is never read), so an endless or huge response
cannot fill the memory.
"""

from __future__ import annotations

import functools
import json
import socket
import ssl
import time
from typing import Any

import httpx

from llm_pytest.errors import ToolError
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = ["DEFAULT_MAX_BYTES", "HTTP_CLIENT", "HTTP_REQUEST_TOOL"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""How much of a response body is read when the request does not say (10 MiB)."""

HTTP_CLIENT = "http_client"
"""Key in ``ToolContext.resources`` of the run's ``httpx.AsyncClient``."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds: do it once per process, not per run.
    return httpx.create_ssl_context()


def _client(ctx: ToolContext) -> httpx.AsyncClient:
    client: httpx.AsyncClient | None = ctx.resources.get(HTTP_CLIENT)
    if client is None:
        client = httpx.AsyncClient(timeout=None, verify=_ssl_context())
        ctx.resources[HTTP_CLIENT] = client
        ctx.exit_stack.push_async_callback(client.aclose)
    return client


def _failure(method: str, url: str, exc: Exception, timeout: float | None) -> ToolError:
    """Say what happened to a request that got no response, in terms of its URL."""
    if isinstance(exc, httpx.TimeoutException):
        after = f" after {timeout:g}s" if timeout is not None else ""
        return ToolError(
            f"{method} {url} timed out{after} ({type(exc).__name__})",
            hint="raise the step's `timeout` or the request's `timeout` argument",
        )
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return ToolError(f"connection refused to {url} — is the server running?")
        if isinstance(cause, socket.gaierror):
            return ToolError(f"cannot resolve the host of {url}: {cause.strerror or cause}")
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return ToolError(f"invalid URL {url}: {exc}")
    return ToolError(f"{method} {url} failed: {type(exc).__name__}: {exc}")


async def http_request(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    method = args["method"].upper()
    url: str = args["url"]
    body: str | None = args.get("body")
    if body is not None and "json" in args:
        raise ToolError(
            "http_request takes either `json` or `body`, not both",
            hint="`json` sends a value encoded as JSON; `body` sends a string as it is",
        )
    timeout: float | None = args.get("timeout", ctx.timeout)
    max_bytes: int = args.get("max_bytes", DEFAULT_MAX_BYTES)
    client = _client(ctx)
    started = time.perf_counter()
    try:
        request = client.build_request(
            method,
            url,
            headers=args.get("headers"),
            params=args.get("params"),
            json=args.get("json"),
            content=body,
            timeout=timeout,
        )
        response = await client.send(request, stream=True)
        try:
            content, truncated = await _read_capped(response, max_bytes)
        finally:
            await response.aclose()
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _failure(method, url, exc, timeout) from exc
    elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
    result: dict[str, Any] = {"status": response.status_code, "headers": dict(response.headers)}
    if "json" in response.headers.get("content-type", ""):
        try:
            result["json"] = json.loads(content)
        except ValueError:
            result["text"] = _text(response, content)
    else:
        result["text"] = _text(response, content)
    if truncated:
        result["truncated"] = (
            f"the body was cut at {max_bytes} bytes (`max_bytes`); the rest was not read"
        )
    result["elapsed_ms"] = elapsed_ms
    return result


async def _read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """The first ``max_bytes`` of the (decoded) body, and whether there was more."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) <= max_bytes and "content-encoding" not in response.headers:
        # A declared length that fits, and nothing to decompress: read it in one go.
        return await response.aread(), False
    chunks: list[bytes] = []
    room = max_bytes
    async for chunk in response.aiter_bytes():
        if len(chunk) > room:
            chunks.append(chunk[:room])
            return b"".join(chunks), True
        chunks.append(chunk)
        room -= len(chunk)
    return b"".join(chunks), False


def _text(response: httpx.Response, content: bytes) -> str:
    return content.decode(response.encoding or "utf-8", errors="replace")


_SCALAR = ["string", "number", "boolean", "null"]

HTTP_REQUEST_TOOL = Tool(
    name="http_request",
    description=(
        "Send an HTTP request and return the status code, the response headers, the body "
        "(`json` when the response is JSON, else `text`; at most `max_bytes` of it, with "
        "`truncated` saying so when there was more) and the time taken in milliseconds. "
        "Any status, including 4xx and 5xx, is a result; redirects are not followed. "
        "Fails only when no response arrives (connection refused, timeout, bad URL)."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "method": {
                "type": "string",
                "pattern": "^[A-Za-z]+$",
                "description": "The HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.",
            },
            "url": {
                "type": "string",
                "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
                "description": "The absolute http:// or https:// URL.",
            },
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Request headers, name to value.",
            },
            "params": {
                "type": "object",
                "additionalProperties": {
                    "type": [*_SCALAR, "array"],
                    "items": {"type": _SCALAR},
                },
                "description": "Query parameters added to the URL; a list repeats the name.",
            },
            "json": {"description": "A value sent as the JSON body (sets Content-Type)."},
            "body": {
                "type": "string",
                "description": "A body sent as it is (UTF-8); not together with `json`.",
            },
            "timeout": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Seconds to wait for the response (default: the step's timeout).",
            },
            "max_bytes": {
                "type": "integer",
                "minimum": 1,
                "description": "Most bytes of the body read; the rest is not read, and the "
                f"result's `truncated` says so (default: {DEFAULT_MAX_BYTES}, 10 MiB).",
            },
        },
        "required": ["method", "url"],
        "additionalProperties": False,
    },
    func=http_request,
    result_fields={
        "status": "The response's status code (any status is a result).",
        "headers": "The response headers, name (lower case) to value.",
        "json": "The body parsed as JSON, when the response says it is JSON and it parses.",
        "text": "The body as text, when it is not JSON.",
        "truncated": "Present only when the body was cut at `max_bytes`, saying so.",
        "elapsed_ms": "Milliseconds from sending the request to the end of the body.",
    },
)
