"""The pytest plugin: `pytest --llm` collects spec files; hooks only delegate."""
