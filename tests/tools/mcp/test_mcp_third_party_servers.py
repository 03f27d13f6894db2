"""Third-party MCP servers from PyPI, started over stdio: mcp-server-time and mcp-server-git."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from llm_pytest.tools.mcp.client import McpConnections
from llm_pytest.tools.mcp.config import StdioServerConfig
from llm_pytest.tools.registry import ToolRegistry

from .support import context

pytestmark = pytest.mark.anyio

GIT_IDENTITY = ["-c", "user.name=Test Author", "-c", "user.email=author@example.com"]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "README.md").write_text("notes\n")
    subprocess.run(["git", "-C", str(repo), "add", "README.md"], check=True)
    commit = ["git", "-C", str(repo), *GIT_IDENTITY, "commit", "-q", "-m", "Add the readme"]
    subprocess.run(commit, check=True)
    (repo / "draft.txt").write_text("not committed yet\n")
    return repo


@pytest.fixture(scope="module")
async def registry(repository: Path) -> AsyncIterator[ToolRegistry]:
    configs = [
        StdioServerConfig("time", "python", ("-m", "mcp_server_time", "--local-timezone", "UTC")),
        StdioServerConfig(
            "git", "python", ("-m", "mcp_server_git", "--repository", str(repository))
        ),
    ]
    async with McpConnections(configs) as connections:
        yield ToolRegistry(connections.tools())


async def call(registry: ToolRegistry, name: str, **args: object) -> object:
    return await registry.get(name).func(context(), dict(args))


async def test_current_time_is_a_structured_utc_time(registry: ToolRegistry) -> None:
    now = await call(registry, "time_get_current_time", timezone="UTC")
    assert isinstance(now, dict)
    assert now["timezone"] == "UTC"
    when = dt.datetime.fromisoformat(now["datetime"])
    assert when.utcoffset() == dt.timedelta(0)
    assert abs(when - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert now["day_of_week"] == when.strftime("%A")


async def test_convert_time_gives_both_sides_and_the_difference(registry: ToolRegistry) -> None:
    converted = await call(
        registry,
        "time.convert_time",
        source_timezone="UTC",
        time="12:30",
        target_timezone="Asia/Tokyo",
    )
    assert isinstance(converted, dict)
    assert converted["source"]["datetime"].endswith("T12:30:00+00:00")
    assert converted["target"]["datetime"].endswith("T21:30:00+09:00")
    assert converted["time_difference"] == "+9.0h"


async def test_git_status_shows_the_untracked_file(
    registry: ToolRegistry, repository: Path
) -> None:
    status = await call(registry, "git_git_status", repo_path=str(repository))
    assert isinstance(status, str)
    assert "On branch main" in status
    assert "draft.txt" in status


async def test_git_log_shows_the_commit(registry: ToolRegistry, repository: Path) -> None:
    log = await call(registry, "git_git_log", repo_path=str(repository))
    assert isinstance(log, str)
    assert "Message: Add the readme" in log
    assert "Author: Test Author" in log


async def test_every_git_tool_is_registered_under_the_server_name(registry: ToolRegistry) -> None:
    git_tools = [tool for tool in registry if tool.source == "mcp:git"]
    assert len(git_tools) == 12
    assert all(tool.name.startswith("git_git_") for tool in git_tools)


async def test_a_git_tool_is_named_by_its_own_name_as_its_readme_says(
    registry: ToolRegistry, repository: Path
) -> None:
    bare = registry.get("git_status")
    assert bare is registry.get("git_git_status") is registry.get("git.git_status")
    status = await call(registry, "git_status", repo_path=str(repository))
    assert "draft.txt" in str(status)
