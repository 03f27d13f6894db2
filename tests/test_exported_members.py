"""The public API: a small, curated surface."""

from __future__ import annotations

import subprocess
import sys

import llm_pytest


def test_the_public_api_is_exactly_what_all_lists() -> None:
    assert llm_pytest.__all__ == sorted(llm_pytest.__all__)
    assert set(llm_pytest.__all__) == {
        "LLMPlugin",
        "LlmPytestError",
        "SourceLocation",
        "SpecError",
        "SpecResult",
        "arun_spec",
        "run_spec",
    }
    for name in llm_pytest.__all__:
        assert getattr(llm_pytest, name) is not None


def test_importing_the_package_does_not_load_the_heavy_parts() -> None:
    code = (
        "import sys, llm_pytest; "
        "print(','.join(m for m in ('pydantic', 'lark', 'mcp', 'httpx', 'jsonschema') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
