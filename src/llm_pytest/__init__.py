"""llm-pytest: a declarative YAML test language and its interpreter, for pytest.

The public API is re-exported here; heavier parts are imported on first use so that a plain
``pytest`` run without ``--llm`` pays almost nothing for having the plugin installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llm_pytest._version import __version__ as __version__
from llm_pytest.errors import LlmPytestError, SourceLocation, SpecError

if TYPE_CHECKING:
    from llm_pytest.api import arun_spec, run_spec
    from llm_pytest.model.result import SpecResult
    from llm_pytest.tools.plugins.loader import LLMPlugin

__all__ = [
    "LLMPlugin",
    "LlmPytestError",
    "SourceLocation",
    "SpecError",
    "SpecResult",
    "arun_spec",
    "run_spec",
]

_LAZY = {
    "LLMPlugin": "llm_pytest.tools.plugins.loader",
    "SpecResult": "llm_pytest.model.result",
    "arun_spec": "llm_pytest.api",
    "run_spec": "llm_pytest.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llm_pytest' has no attribute {name!r}")
    import importlib

    # Not cached in globals(): pytester's in-process runs unload our modules between runs,
    # and a cached class would then no longer be the one plugins subclass.
    return getattr(importlib.import_module(module), name)
