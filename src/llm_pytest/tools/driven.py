"""An async tool's coroutine, stepped by the call path so that a tool that ignores its
cancellation cannot hold the run forever.

Once a cancellation (the call's deadline, or the run's) has been thrown into the tool, it gets
:data:`GRACE` seconds to end. A tool that swallows ``CancelledError`` and goes on awaiting is
then closed and abandoned: the driver stops stepping it and lets the cancellation through.
The driver only adds work when an exception is thrown in, so ordinary calls stay cheap.
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
    """Whether one call of an async tool had to be abandoned."""

    abandoned: bool = False
    """It ignored its cancellation for :data:`GRACE` seconds and was closed and abandoned."""


@types.coroutine
def driven(awaitable: Awaitable[Any], overrun: Overrun) -> Generator[Any, Any, Any]:
    """Await ``awaitable`` as ``await`` would, abandoning it when it ignores its cancellation."""
    coro = awaitable.__await__()
    cancelled = anyio.get_cancelled_exc_class()
    first_cancel: float | None = None
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            yielded = coro.send(value) if error is None else coro.throw(error)
        except StopIteration as stop:
            return stop.value
        value = error = None
        try:
            value = yield yielded
        except BaseException as exc:
            if isinstance(exc, cancelled):
                now = time.monotonic()
                if first_cancel is None:
                    first_cancel = now
                elif now - first_cancel > GRACE:
                    overrun.abandoned = True
                    # A coroutine that also ignores GeneratorExit stays suspended, unstepped.
                    with contextlib.suppress(Exception):
                        coro.close()
                    raise
            error = exc
