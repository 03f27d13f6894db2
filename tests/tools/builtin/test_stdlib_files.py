"""``read_file``: text, binary, relative paths and missing files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llm_pytest.errors import ToolError
from llm_pytest.tools.registry import ToolContext, ToolRegistry


async def read(registry: ToolRegistry, ctx: ToolContext, path: str) -> Any:
    assert registry.validate("read_file", {"path": path}) == []
    return await registry.get("read_file").func(ctx, {"path": path})


@pytest.mark.anyio
async def test_text_file_gives_path_size_in_bytes_and_content(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("café\n", encoding="utf-8")
    result = await read(registry, ctx, str(file))
    assert result == {"path": str(file), "size": 6, "content": "café\n"}


@pytest.mark.anyio
async def test_relative_path_is_read_from_the_spec_directory(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "users.json").write_text('{"n": 1}')
    ctx.spec_dir = tmp_path
    result = await read(registry, ctx, "data/users.json")
    assert result["path"] == str(tmp_path / "data" / "users.json")
    assert result["content"] == '{"n": 1}'


@pytest.mark.anyio
async def test_relative_path_without_a_spec_directory_is_read_from_the_cwd(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here.txt").write_text("here")
    monkeypatch.chdir(tmp_path)
    assert (await read(registry, ctx, "here.txt"))["content"] == "here"


@pytest.mark.anyio
async def test_binary_file_is_flagged_and_decoded_with_replacement(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    file = tmp_path / "image.bin"
    file.write_bytes(b"\x89PNG\xff\x00")
    result = await read(registry, ctx, str(file))
    assert result["binary"] is True
    assert result["size"] == 6
    assert "\ufffd" in result["content"]


@pytest.mark.anyio
async def test_missing_file_error_names_the_path(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    ctx.spec_dir = tmp_path
    with pytest.raises(ToolError) as err:
        await read(registry, ctx, "absent.txt")
    assert str(err.value) == f"file not found: {tmp_path / 'absent.txt'}"


@pytest.mark.anyio
async def test_a_directory_is_not_read_as_a_file(
    registry: ToolRegistry, ctx: ToolContext, tmp_path: Path
) -> None:
    with pytest.raises(ToolError, match="not a file but a directory"):
        await read(registry, ctx, str(tmp_path))
