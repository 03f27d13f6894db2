"""What MCP servers offer: their tools (by the names specs call them), resources, resource
templates and prompts, listed by starting each server once and stopping it again
(``llm-pytest tools SPEC...``)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from llm_pytest.errors import ToolError
from llm_pytest.tools.mcp.client import tool_name
from llm_pytest.tools.mcp.config import HttpServerConfig, McpServerConfig
from llm_pytest.tools.mcp.connection import ServerConnection

__all__ = ["ServerOffers", "list_offers"]

T = TypeVar("T")


@dataclass
class ServerOffers:
    """One server's offers as plain data, or the error that kept it from starting."""

    name: str
    transport: str
    target: str
    """The command line, or the URL."""
    startup_ms: float | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Listing(ServerConnection):
    """A connection that also lists resources and prompts once the session is up."""

    def __init__(self, config: McpServerConfig, offers: ServerOffers) -> None:
        super().__init__(config)
        self.offers = offers

    async def _open(self, stack: AsyncExitStack) -> None:
        await super()._open(stack)
        client = self._client
        if client is None:  # pragma: no cover - _open sets it or raises
            return
        offers, capabilities = self.offers, client.server_capabilities
        if capabilities.resources is not None:
            self._step = "list its resources"
            resources = await _pages(client.list_resources, "resources")
            offers.resources = [_dump(r) for r in resources]
            templates = await _pages(client.list_resource_templates, "resource_templates")
            offers.resource_templates = [_dump(t) for t in templates]
        if capabilities.prompts is not None:
            self._step = "list its prompts"
            offers.prompts = [_dump(p) for p in await _pages(client.list_prompts, "prompts")]


async def _pages(method: Callable[..., Awaitable[Any]], attribute: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    while True:
        page = await method(cursor=cursor)
        items.extend(getattr(page, attribute))
        cursor = page.next_cursor
        if cursor is None:
            return items


def _dump(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return data


async def list_offers(configs: Sequence[McpServerConfig]) -> list[ServerOffers]:
    """Start every server at once, list what it offers, stop it; in the order given."""
    results = [_blank(c) for c in configs]
    async with anyio.create_task_group() as tg:
        for config, offers in zip(configs, results, strict=True):
            tg.start_soon(_list_one, config, offers)
    return results


def _blank(config: McpServerConfig) -> ServerOffers:
    transport = "http" if isinstance(config, HttpServerConfig) else "stdio"
    return ServerOffers(config.name, transport, config.describe())


async def _list_one(config: McpServerConfig, offers: ServerOffers) -> None:
    connection = _Listing(config, offers)
    start = time.perf_counter()
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(connection.run)
            offers.startup_ms = (time.perf_counter() - start) * 1000
            offers.tools = [
                {**_dump(t), "name": tool_name(config.name, t.name), "mcp_name": t.name}
                for t in connection.tools
            ]
            connection.close()
    except* ToolError as group:
        exc = group.exceptions[0]
        if isinstance(exc, ToolError):
            offers.error, offers.hint = exc.message, exc.hint
