"""The wiring every entry point shares: plugin folders, tool registry, judge, run settings.

``run_spec``, ``pytest --llm``, lint and the CLI build them here, the same way from the same
inputs. :mod:`~llm_pytest.runtime.rejudge` judges a recorded run folder again.
"""
