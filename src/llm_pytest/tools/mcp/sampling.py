"""How a server's sampling request is answered by an LLM (``mcp_servers.NAME.sampling: judge``).

The MCP client only knows the small :class:`SamplingAnswerer` interface; the session passes an
implementation down (the judge's provider answers). This module imports nothing of the MCP SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["SampledText", "SamplingAnswerer", "SamplingUnavailable"]


@dataclass(frozen=True, slots=True)
class SampledText:
    """An LLM's answer to one sampling request, and what it used (``cost_usd`` in dollars)."""

    text: str
    model: str
    stop_reason: str = "endTurn"
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class SamplingUnavailable(Exception):
    """No LLM can answer sampling requests as the session is configured (no judge, or one that
    cannot complete text): the step that caused the request fails with this message."""


class SamplingAnswerer(Protocol):
    """Answers a server's ``sampling/createMessage`` with an LLM.

    ``messages`` are ``{"role": "user" | "assistant", "content": text}``. Raises
    :class:`SamplingUnavailable` when no LLM can answer at all, any other exception when this
    one request failed; either is returned to the server as an MCP error.
    """

    async def answer(
        self,
        messages: Sequence[dict[str, str]],
        *,
        system_prompt: str | None,
        max_tokens: int,
        temperature: float | None = None,
        stop_sequences: Sequence[str] = (),
    ) -> SampledText: ...
