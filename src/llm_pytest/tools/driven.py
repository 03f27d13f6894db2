"""An async tool's coroutine, stepped by the call path so that it can tell when the tool breaks
the rules of cooperative code.

An async tool shares the event loop with the whole run: while it runs without awaiting, nothing
else runs, not even its own deadline. The driver times every stretch the coroutine runs
between two awaits; a stretch that goes on past the deadline by more than :data:`GRACE` is
recorded as blocking the loop. A tool that keeps running more than :data:`GRACE` after it was
first cancelled (it swallows ``CancelledError``) is closed and abandoned: the driver stops
stepping it and lets the cancellation through.
"""

from __future__ import annotations

import contextlib
import time
import types
from collections.abc import Awaitable, Generator
from dataclasses import dataclass
from typing import Any

import anyio

__all__ = ["GRACE", "Overrun", "driven"]

GRACE = 1.0
"""Seconds a tool may go on after its deadline or its cancellation before it is called out."""


@dataclass(slots=True)
class Overrun:
    """How one call of an async tool broke its deadline, if it did."""

    deadline: float
    """The call's deadline, on the ``anyio.current_time()`` clock."""
    blocked_for: float = 0.0
    """The longest stretch it ran without awaiting that went past the deadline by more than
    :data:`GRACE` (0 when none did)."""
    abandoned: bool = False
    """It ignored its cancellation for :data:`GRACE` seconds and was closed and abandoned."""


@types.coroutine
def driven(awaitable: Awaitable[Any], overrun: Overrun) -> Generator[Any, Any, Any]:
    """Await ``awaitable`` as ``await`` would, recording into ``overrun`` how it broke its
    deadline."""
    coro = awaitable.__await__()
    cancelled = anyio.get_cancelled_exc_class()
    # Stretches are timed on time.monotonic, cheaper than the backend's clock, which may differ.
    clock = time.monotonic
    late = clock() + (overrun.deadline - anyio.current_time()) + GRACE
    first_cancel: float | None = None
    value: Any = None
    error: BaseException | None = None
    while True:
        start = clock()
        try:
            yielded = coro.send(value) if error is None else coro.throw(error)
        except StopIteration as stop:
            return stop.value
        finally:
            end = clock()
            if end > late and end - start > GRACE:
                overrun.blocked_for = max(overrun.blocked_for, end - start)
        value, error = None, None
        try:
            value = yield yielded
        except BaseException as exc:
            if isinstance(exc, cancelled):
                now = clock()
                if first_cancel is None:
                    first_cancel = now
                elif now - first_cancel > GRACE:
                    overrun.abandoned = True
                    # A coroutine that also ignores GeneratorExit stays suspended, unstepped.
                    with contextlib.suppress(Exception):
                        coro.close()
                    raise
            error = exc
