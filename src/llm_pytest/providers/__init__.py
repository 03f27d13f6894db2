"""Judge LLM providers, registered by name and imported lazily."""
