"""Fixtures for every test folder. Helpers shared across folders live in modules beside this
file (``process_support``), imported as ``tests.process_support``."""

from __future__ import annotations

import ctypes
import importlib
import pkgutil
import sys
from collections.abc import Iterator

import pytest

import llm_pytest
from tests.spec_support import http_server, load_plugins, write_spec  # noqa: F401


def _import_every_module() -> None:
    """Import all of llm_pytest (and the lazily imported libraries) before any test runs.

    In-process ``pytester`` sessions drop the modules first imported during them; a module
    imported again later is a new object whose classes differ from those that earlier imports
    still hold. With everything imported up front, no test depends on which ran first.
    """
    for info in pkgutil.walk_packages(llm_pytest.__path__, "llm_pytest."):
        importlib.import_module(info.name)
    importlib.import_module("lark")
    # httpx imports httpcore on its first request and keeps a map of httpcore's exception
    # classes from then on: a later httpcore import would raise classes the map does not know.
    importlib.import_module("httpcore")


_import_every_module()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop llm-pytest runs on under pytest."""
    return "asyncio"


@pytest.fixture
def subreaper() -> Iterator[None]:
    """Make this process adopt orphans, so killed grandchildren can be reaped and checked."""
    if not sys.platform.startswith("linux"):
        pytest.skip("needs Linux (PR_SET_CHILD_SUBREAPER)")
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_child_subreaper = 36
    assert libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    yield
    libc.prctl(pr_set_child_subreaper, 0, 0, 0, 0)
