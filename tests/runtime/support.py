"""Shared parts of the runtime tests: a plugin, a spec calling it, files written dedented."""

from __future__ import annotations

import textwrap
from pathlib import Path

PLUGIN = """\
from llm_pytest import LLMPlugin


class Greeter(LLMPlugin):
    name = "greeter"

    def greet(self, who: str) -> dict:
        \"\"\"Say hello.\"\"\"
        return {"greeting": f"hello {who}"}
"""

USES_PLUGIN = """\
test: {name: greets}
steps:
  - tool: greeter_greet
    args: {who: world}
    check: result.greeting == "hello world"
"""


def write(folder: Path, text: str, name: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
