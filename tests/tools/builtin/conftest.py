"""Fixtures for calling the built-in tools directly: a registry of them and a run's context."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from llm_pytest.tools.builtin import builtin_tools
from llm_pytest.tools.registry import ToolContext, ToolRegistry


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry(builtin_tools())


@pytest.fixture
async def ctx() -> AsyncIterator[ToolContext]:
    """A run's context with this process's environment and a 30 s step timeout."""
    context = ToolContext(env=dict(os.environ), timeout=30)
    yield context
    await context.aclose()
