"""llm-pytest: a declarative YAML test language and its interpreter, for pytest."""

from llm_pytest.errors import LlmPytestError, SourceLocation, SpecError

__all__ = ["LlmPytestError", "SourceLocation", "SpecError"]
__version__ = "0.1.0"
