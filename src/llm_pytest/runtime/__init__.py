"""The wiring every entry point shares: a spec's plugin folders, its tool registry, the judge
and the run settings, built the same way for ``run_spec``, ``pytest --llm``, lint and the CLI."""
