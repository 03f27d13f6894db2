"""``read_file``, and how the built-in tools resolve relative paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.to_thread

from llm_pytest.errors import ToolError
from llm_pytest.tools.registry import Tool, ToolContext

__all__ = ["READ_FILE_TOOL", "resolve_path"]


def resolve_path(ctx: ToolContext, path: str) -> Path:
    """``path`` made absolute against the spec's directory when known, else the cwd."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    return (ctx.spec_dir or Path.cwd()) / candidate


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ToolError(
            f"file not found: {path}",
            hint="relative paths are read from the spec's directory",
        ) from None
    except IsADirectoryError:
        raise ToolError(f"not a file but a directory: {path}") from None
    except OSError as exc:
        raise ToolError(f"cannot read {path}: {exc.strerror or exc}") from None


async def read_file(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    path = resolve_path(ctx, args["path"])
    data = await anyio.to_thread.run_sync(_read, path)
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError:
        return {
            "path": str(path),
            "size": len(data),
            "content": data.decode("utf-8", errors="replace"),
            "binary": True,
        }
    if "\x00" in content:
        return {"path": str(path), "size": len(data), "content": content, "binary": True}
    return {"path": str(path), "size": len(data), "content": content}


READ_FILE_TOOL = Tool(
    name="read_file",
    description=(
        "Read a text file. Returns its absolute path, its size in bytes and its content "
        "(UTF-8); a file that is not text is returned with replacement characters and "
        '`"binary": true`.'
    ),
    input_schema={
        "type": "object",
        "properties": {
            "path": {
                "type": "string",
                "minLength": 1,
                "description": "The file; a relative path is read from the spec's directory.",
            },
        },
        "required": ["path"],
        "additionalProperties": False,
    },
    func=read_file,
    result_fields={
        "path": "The file's absolute path.",
        "size": "Its size in bytes.",
        "content": "Its text (UTF-8; undecodable bytes become replacement characters).",
        "binary": "Present and true only when the file is not text.",
    },
)
