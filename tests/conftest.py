"""Fixtures for every test folder. Helpers shared across folders live in modules beside this
file (``process_support``); this directory is on ``sys.path`` because this conftest is not in a
package."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator

import pytest


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
