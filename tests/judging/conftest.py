"""Fixtures for the provider tests: the async backend and a loopback fake LLM API server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fakes.llm_server import FakeLLMServer, serving


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with serving() as srv:
        yield srv
