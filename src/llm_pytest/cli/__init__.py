"""The `llm-pytest` command."""
