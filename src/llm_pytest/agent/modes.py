"""How one run of a plan is executed, by its mode: an LLM agent for ``mode: agent``, else the
interpreter. Give :func:`run_by_mode` to ``RunSettings(execute=...)``; importing this module
stays light (agent mode's MCP server is imported only when an agent-mode plan runs)."""

from __future__ import annotations

from llm_pytest.interpreter.runner import RunSettings, interpret
from llm_pytest.model.plan import Plan
from llm_pytest.model.trace import RunTrace
from llm_pytest.tools.registry import ToolRegistry

__all__ = ["run_by_mode"]


async def run_by_mode(
    plan: Plan, iteration: int, settings: RunSettings, registry: ToolRegistry
) -> RunTrace:
    """Iteration ``iteration`` of ``plan``, by an agent for ``mode: agent``."""
    if plan.mode == "agent":
        from llm_pytest.agent.run import run_agent_iteration  # imports the MCP SDK

        return await run_agent_iteration(plan, settings, registry, iteration)
    return await interpret(plan, iteration, settings, registry)
