"""Every example of the user guide runs: each page is replayed in a fresh project.

A fenced block with ``title="PATH"`` in its info string (the site shows it as the file name) is
written to PATH; a ``console`` block's ``$ pytest ...`` and ``$ llm-pytest ...`` lines are run
there, and the lines after each command must appear in its output, in order (``...`` stands for
anything). A ``bash`` block may only install (``git clone``, ``pip install``): that happens
before the guide's examples run. Any other block is an error: the guide has no example that is
not run. The one exception is the language description (``language.md``), whose ``yaml``
excerpts show parts of a spec: each must still load as YAML; its ``text`` blocks are notation.
The generated reference (``docs/reference/``) has no code blocks; ``tests/cli/test_docs_cmd.py``
keeps it fresh.
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
import yaml

DOCS = Path(__file__).parents[2] / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
GENERATED = DOCS / "reference"
EXCERPTS = {"language.md"}
_INSTALL = re.compile(r"^(?:git clone|pip install|python -m pip install) ")
NO_NOISE = ("-p", "no:benchmark", "-p", "no:hypothesispytest", "-p", "no:cacheprovider")
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    info: str
    body: str
    line: int

    @property
    def file(self) -> str | None:
        match = re.search(r'\btitle="([^"]+)"', self.info)
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


def test_the_site_has_every_page_in_its_navigation() -> None:
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [p.relative_to(DOCS).as_posix() for p in PAGES]
    missing = [name for name in missing if f" {name}\n" not in nav]
    assert not missing, f"add these pages to the nav of mkdocs.yml: {missing}"


@pytest.mark.parametrize(
    "page", PAGES, ids=[p.relative_to(DOCS).with_suffix("").as_posix() for p in PAGES]
)
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
    if page.parent == GENERATED:
        assert not blocks, f"{page.name}: the generated reference has no code blocks"
        return
    assert blocks, f"{page.name} has no examples"
    for block in blocks:
        where = f"{page.name}:{block.line}"
        if re.search(r"\bfile=", block.info):
            raise AssertionError(f'{where}: write the file name as title="PATH", not file=PATH')
        if block.info == "bash":
            lines = [ln for ln in block.body.splitlines() if ln.strip()]
            assert all(_INSTALL.match(ln) for ln in lines), f"{where}: a bash block only installs"
            continue
        if page.name in EXCERPTS and block.info in ("yaml", "text"):
            if block.info == "yaml":
                yaml.safe_load(block.body)
            continue
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
            raise AssertionError(
                f'{where}: ```{block.info} is neither a title="PATH" block nor console'
            )
