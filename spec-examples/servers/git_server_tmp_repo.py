"""Start mcp-server-git on a throwaway repository made for the occasion, removed when it stops.

    python git_server_tmp_repo.py

The repository, in the system's temporary folder, has one commit by "Example Author" with the
message "Add the readme" (README.md) and one untracked file (draft.txt). The server runs inside
it and is confined to it, so its tools take ``repo_path: "."``. Git's own output goes to
stderr: stdout carries the MCP protocol.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

AUTHOR = ["-c", "user.name=Example Author", "-c", "user.email=author@example.com"]


def make_repository(path: Path) -> None:
    def git(*args: str) -> None:
        command = ["git", "-C", str(path), *AUTHOR, "-c", "commit.gpgsign=false", *args]
        subprocess.run(command, check=True, stdout=sys.stderr, stdin=subprocess.DEVNULL)

    git("init", "-q", "-b", "main")
    (path / "README.md").write_text("# Notes\n\nA repository made for the git server example.\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "Add the readme")
    (path / "draft.txt").write_text("not committed yet\n")


def stop(signum: int, frame: FrameType | None) -> None:
    # Leave through the `with` below, so the repository is removed.
    raise SystemExit(0)


def main() -> None:
    from mcp_server_git.server import serve

    signal.signal(signal.SIGTERM, stop)
    with tempfile.TemporaryDirectory(prefix="llm-pytest-git-example-") as folder:
        repository = Path(folder).resolve()
        make_repository(repository)
        os.chdir(repository)
        asyncio.run(serve(repository))


if __name__ == "__main__":
    main()
