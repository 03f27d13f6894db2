"""Agent mode: an LLM agent drives a plan's tools; its recorded calls are replayed as the run.

- :mod:`~llm_pytest.agent.modes`: ``run_by_mode``, the run strategy that sends ``mode: agent``
  plans here;
- :mod:`~llm_pytest.agent.run`: ``run_agent_iteration``, one run of a ``mode: agent`` plan;
- :mod:`~llm_pytest.agent.prompt`: the agent's instructions, written from the plan;
- :mod:`~llm_pytest.agent.server`: the recording MCP server the agent calls;
- :mod:`~llm_pytest.agent.driver`: the agent process;
- :mod:`~llm_pytest.agent.replay`: the agent's calls matched to the plan, as the run's trace.
"""
