"""Every example of the user guide runs: each page is replayed in a fresh project.

A fenced block with ``file=PATH`` in its info string is written to PATH; a ``console`` block's
``$ pytest ...`` and ``$ llm-pytest ...`` lines are run there, and the lines after each command
must appear in its output, in order (``...`` stands for anything). Any other block is an error:
the guide has no example that is not run.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[2] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
NO_NOISE = ("-p", "no:benchmark", "-p", "no:hypothesispytest", "-p", "no:cacheprovider")
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    info: str
    body: str
    line: int

    @property
    def file(self) -> str | None:
        match = re.search(r"\bfile=(\S+)", self.info)
        return match.group(1) if match else None


@dataclass
class Command:
    argv: list[str]
    expected: list[str] = field(default_factory=list)


def _blocks(text: str) -> list[Block]:
    return [
        Block(m["info"].strip(), m["body"], text.count("\n", 0, m.start()) + 1)
        for m in _FENCE.finditer(text)
    ]


def _commands(body: str) -> list[Command]:
    commands: list[Command] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            commands.append(Command(shlex.split(line[2:])))
        elif commands and line.strip() and line.strip() != "...":
            commands[-1].expected.append(line)
    return commands


def _pattern(line: str) -> str:
    """An expected output line as an fnmatch pattern: literal text, `...` for anything."""
    return "*".join(glob.escape(part) for part in line.split("..."))


def _run(pytester: pytest.Pytester, argv: list[str]) -> str:
    program, *args = argv
    if program == "pytest":
        result = pytester.runpytest(*NO_NOISE, *args)
        return result.stdout.str() + "\n" + result.stderr.str()
    if program == "llm-pytest":
        done = subprocess.run(
            [sys.executable, "-m", "llm_pytest.cli.main", *args],
            cwd=pytester.path,
            capture_output=True,
            text=True,
        )
        return done.stdout + done.stderr
    raise AssertionError(f"the guide runs only pytest and llm-pytest, not {program!r}")


def test_the_guide_has_pages() -> None:
    assert {p.name for p in PAGES} >= {
        "index.md",
        "writing-specs.md",
        "running.md",
        "reports.md",
        "fixtures.md",
    }


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_every_example_of_the_page_runs(
    page: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pages describe a machine with no LLM configured unless they configure one
    # and outside CI, where a missing snapshot is written
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(
        "PATH", os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    )
    blocks = _blocks(page.read_text(encoding="utf-8"))
    assert blocks, f"{page.name} has no examples"
    for block in blocks:
        where = f"{page.name}:{block.line}"
        if block.file is not None:
            target = pytester.path / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
        elif block.info == "console":
            for command in _commands(block.body):
                out = _run(pytester, command.argv)
                lines = out.splitlines()
                remaining = iter(lines)
                for expected in command.expected:
                    pattern = _pattern(expected)
                    if not any(fnmatch.fnmatch(line, pattern) for line in remaining):
                        raise AssertionError(
                            f"{where}: `{shlex.join(command.argv)}` did not print {expected!r} "
                            f"(in order); it printed:\n{out}"
                        )
        else:
            raise AssertionError(f"{where}: ```{block.info} is neither a file= block nor console")
