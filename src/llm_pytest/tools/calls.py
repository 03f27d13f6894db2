"""One tool call under a deadline: the one way the interpreter, agent mode and the MCP server
call a tool.

An async tool is cancelled at its deadline; one that blocks the event loop past it fails the call
once control comes back, and one that ignores its cancellation is abandoned (see
:mod:`llm_pytest.tools.driven`).
A tool that raises ``SystemExit`` fails its call with where it did so. A blocking (plain
``def``) tool runs in a daemon thread of its own: at the deadline the call fails and the thread
is abandoned — it may still be running, but it can neither hold up the run nor keep the process
alive at exit. A call that ran out of time fails with what the tool's ``explain_timeout`` says,
else "timed out after Ns".
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from llm_pytest.errors import LlmPytestError, ToolError
from llm_pytest.tools.driven import GRACE, Overrun, driven
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = [
    "ABANDONED_NOTE",
    "DEFAULT_CALL_TIMEOUT",
    "CallOutcome",
    "call_tool",
    "error_text",
    "error_types",
]

DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds a call may take when nothing else says (the default of a spec step's ``timeout``)."""

ABANDONED_NOTE = (
    "the blocking tool did not return by its deadline: its worker thread was abandoned "
    "and may still be running"
)


@dataclass(slots=True)
class CallOutcome:
    """What one call gave: a result, or an error message (and a note for the trace)."""

    ok: bool
    result: Any = None
    error: str | None = None
    note: str | None = None
    failure: Exception | None = None
    """What the call failed with (the tool's exception, or the timeout's error), for callers
    that word errors their own way."""
    details: dict[str, Any] = field(default_factory=dict)
    """What the tool told about the call (:attr:`ToolContext.details`)."""


async def call_tool(
    tool: Tool, ctx: ToolContext, args: dict[str, Any], limit: float
) -> CallOutcome:
    """Call ``tool`` with ``args``, bounded by ``limit`` seconds; never raises for its failures."""
    call = ctx.for_call(limit)
    overrun = Overrun()
    started = anyio.current_time()
    scope = anyio.CancelScope(deadline=started + limit)
    try:
        with scope:
            if tool.blocking:
                result = await _in_daemon_thread(tool, call, args)
            else:
                result = await driven(tool.func(call, args), overrun)
    except Exception as exc:
        if _blocked_loop(scope, started, limit):
            return _blocked(call, started, limit)
        if scope.cancel_called:  # a tool that turns its cancellation into an error ran out of time
            return _timed_out(tool, call, limit)
        return CallOutcome(False, None, _why(exc), failure=exc, details=call.details)
    except SystemExit as exc:
        return _failed(call, _exited(exc))
    if _blocked_loop(scope, started, limit):
        return _blocked(call, started, limit)
    if overrun.abandoned:
        return _failed(
            call,
            ToolError(
                f"timed out after {limit:g}s and went on for {GRACE:g}s more after it was "
                "cancelled: the tool was abandoned",
                hint="an async tool must let CancelledError propagate (re-raise it after "
                "cleaning up)",
            ),
        )
    if scope.cancel_called:
        return _timed_out(tool, call, limit)
    return CallOutcome(True, result, note=call.note, details=call.details)


def _failed(call: ToolContext, error: ToolError) -> CallOutcome:
    return CallOutcome(False, None, error_text(error), None, error, call.details)


def _blocked_loop(scope: anyio.CancelScope, started: float, limit: float) -> bool:
    """Whether the call ended well past its deadline without the loop having run since: the
    deadline's own callback, which cancels the scope, never got its turn."""
    return not scope.cancel_called and anyio.current_time() > started + limit + GRACE


def _blocked(call: ToolContext, started: float, limit: float) -> CallOutcome:
    took = anyio.current_time() - started
    return _failed(
        call,
        ToolError(
            f"blocked the event loop past its {limit:g}s deadline: it ran {took:.1f}s "
            "without awaiting",
            hint="in an `async def` tool await anyio.sleep(...) or "
            "anyio.to_thread.run_sync(...) instead of blocking calls such as time.sleep, or "
            "make the method a plain `def` (it then runs in a thread)",
        ),
    )


def _exited(exc: SystemExit) -> ToolError:
    """A tool that raised ``SystemExit``, with the deepest line it did so from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return ToolError(
        f"the tool raised SystemExit({exc.code!r}){where}",
        hint="a tool cannot end the run: raise an exception or return a result that says "
        "what went wrong",
    )


def _timed_out(tool: Tool, call: ToolContext, limit: float) -> CallOutcome:
    note = ABANDONED_NOTE if tool.blocking else None
    error = ToolError(f"timed out after {limit:g}s")
    if tool.explain_timeout is not None:
        try:
            error = tool.explain_timeout(call) or error
        except Exception as exc:  # an explanation must not turn a timeout into a crash
            error = ToolError(f"{error.message}\n(no more detail: {_described(exc)})")
    return CallOutcome(False, None, error_text(error), note, error, call.details)


def error_types(failure: BaseException | None) -> tuple[str, ...]:
    """The names of ``failure``'s class and its bases, most specific first (none without one)."""
    if failure is None:
        return ()
    return tuple(c.__name__ for c in type(failure).__mro__ if c is not object)


def error_text(exc: ToolError) -> str:
    """A tool's error with its hint: in parentheses after one line, on a line of its own after
    several (a server's stderr, say)."""
    if not exc.hint:
        return exc.message
    if "\n" in exc.message:
        return f"{exc.message}\nhint: {exc.hint}"
    return f"{exc.message} ({exc.hint})"


def _why(exc: Exception) -> str:
    if isinstance(exc, ToolError):
        return error_text(exc)
    if isinstance(exc, LlmPytestError):
        return str(exc)
    return _described(exc)


def _described(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _in_daemon_thread(tool: Tool, ctx: ToolContext, args: dict[str, Any]) -> Any:
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    outcome: list[tuple[bool, Any]] = []
    context = contextvars.copy_context()

    def work() -> None:
        try:
            outcome.append((True, context.run(tool.func, ctx, args)))
        except Exception as exc:
            outcome.append((False, exc))
        except SystemExit as exc:  # ends the call, not the run
            outcome.append((False, _exited(exc)))
        except BaseException as exc:
            outcome.append((False, ToolError(_described(exc))))
        # After an abandoned call the run may be over and its event loop gone.
        with contextlib.suppress(Exception):
            anyio.from_thread.run_sync(done.set, token=token)

    threading.Thread(target=work, name=f"llm-pytest tool {tool.name}", daemon=True).start()
    await done.wait()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
