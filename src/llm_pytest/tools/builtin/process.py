"""``run_command``: run a program (an argv list, never a shell string) and capture its output.

The child starts in a session of its own. When the command outlives its timeout, or the call is
cancelled at its deadline, the whole process group is killed and the child reaped, so commands
that start children of their own leave nothing running behind (on Linux also those that left
the group). Processes a command that ended normally left running in the background are named in
the step's note. Either way the call fails with
the command line and the tail of what it printed: when the call's deadline ended the command,
the call path asks the tool's ``explain_timeout``, which reads what the call kept.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_pytest._process import run_in_own_group
from llm_pytest.errors import ToolError
from llm_pytest.tools.builtin.files import resolve_path
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = ["RUN_COMMAND_TOOL"]

_TAIL_CHARS = 2000


@dataclass(frozen=True)
class _Running:
    """A command in flight: what its timeout error says if the call's deadline ends it."""

    argv: list[str]
    timeout: float | None
    """Seconds it may run; None when nothing bounds it (then it cannot time out)."""
    stdout: bytearray
    stderr: bytearray
    outlived: list[str]
    """The processes still running when the command ended (``pid N (command line)``)."""


def _own_timeout(ctx: ToolContext, requested: float | None) -> float | None:
    """The command's own timer: its ``timeout`` argument when that ends before the call's
    deadline; else None, as the call's deadline ends it."""
    if requested is None or (ctx.timeout is not None and requested >= ctx.timeout):
        return None
    return requested


def _start_failure(program: str, cwd: Path | None, exc: OSError) -> ToolError:
    if cwd is not None and str(exc.filename) == str(cwd):
        return ToolError(f"cannot use working directory {cwd}: {exc.strerror or exc}")
    if isinstance(exc, FileNotFoundError):
        return ToolError(
            f"executable not found: {program}",
            hint="check the name, or give its full path; it is looked up on the PATH of `env`",
        )
    if isinstance(exc, PermissionError):
        return ToolError(f"executable is not runnable (permission denied): {program}")
    return ToolError(f"cannot start {program}: {exc.strerror or exc}")


def _tail(label: str, data: bytes | bytearray) -> str:
    text = data.decode("utf-8", errors="replace")
    if not text:
        return ""
    if len(text) > _TAIL_CHARS:
        return f"\n{label} (last {_TAIL_CHARS} characters):\n{text[-_TAIL_CHARS:]}"
    return f"\n{label}:\n{text}"


def _timed_out(running: _Running) -> ToolError:
    left = f"\nstill running after the kill: {', '.join(running.outlived)}"
    return ToolError(
        f"command timed out after {running.timeout:g}s: {shlex.join(running.argv)}"
        + _tail("stdout", running.stdout)
        + _tail("stderr", running.stderr)
        + (left if running.outlived else ""),
        hint="raise the step's `timeout` or the command's `timeout` argument; a "
        "background process (`cmd &`) that keeps stdout or stderr open holds the command "
        "until then, so redirect its output (`cmd > log 2>&1 &`)",
    )


def _explain_timeout(call: ToolContext) -> ToolError | None:
    running = call.progress
    return _timed_out(running) if isinstance(running, _Running) else None


async def run_command(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    argv: list[str] = args["argv"]
    cwd = resolve_path(ctx, args["cwd"]) if "cwd" in args else None
    stdin: str | None = args.get("stdin")
    own_timeout = _own_timeout(ctx, args.get("timeout"))
    timeout = own_timeout if own_timeout is not None else ctx.timeout
    running = ctx.progress = _Running(argv, timeout, bytearray(), bytearray(), [])
    started = time.perf_counter()
    try:
        run = await run_in_own_group(
            argv,
            timeout=own_timeout,
            stdin=None if stdin is None else stdin.encode(),
            cwd=cwd,
            env={**ctx.env, **args.get("env", {})},
            # What a command starts in the background (a server for later steps) may outlive it.
            leftovers="keep",
            output=(running.stdout, running.stderr),
            outlived=running.outlived,
        )
    except OSError as exc:
        raise _start_failure(argv[0], cwd, exc) from None
    if run.exit_code is None:
        raise _timed_out(running)
    if running.outlived:
        ctx.note = f"still running after the command ended: {', '.join(running.outlived)}"
    return {
        "exit_code": run.exit_code,
        "stdout": run.stdout.decode("utf-8", errors="replace"),
        "stderr": run.stderr.decode("utf-8", errors="replace"),
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }


RUN_COMMAND_TOOL = Tool(
    name="run_command",
    description=(
        "Run a program with arguments (no shell) and return its exit code, stdout, stderr and "
        "duration in milliseconds. A non-zero exit code is a result, not a failure. On timeout "
        "the command and every process it started are killed."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "argv": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": (
                    'The program and its arguments, e.g. ["git", "status"]; for shell syntax '
                    'use ["sh", "-c", "..."].'
                ),
            },
            "cwd": {
                "type": "string",
                "description": "Working directory; a relative path is taken from the spec's "
                "directory (default: the current directory).",
            },
            "env": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Environment variables added to the run's environment.",
            },
            "stdin": {
                "type": "string",
                "description": "Text written to the command's standard input (default: none).",
            },
            "timeout": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Seconds before the command is killed (default: the step's "
                "timeout).",
            },
        },
        "required": ["argv"],
        "additionalProperties": False,
    },
    func=run_command,
    result_fields={
        "exit_code": "The command's exit code (non-zero is a result, not a failure).",
        "stdout": "Its standard output, as text.",
        "stderr": "Its standard error, as text.",
        "duration_ms": "Milliseconds it ran.",
    },
    explain_timeout=_explain_timeout,
)
