"""Agent mode (``mode: agent``): an LLM agent runs the plan's steps itself, through our tools.

One run, :func:`run_agent_iteration`:

1. the run's ``vars`` are computed and the plan is rendered into the agent's prompt;
2. an MCP server exposing exactly the tools the plan uses (from the item's registry: built-ins,
   plugins, the spec's MCP servers) starts in-process on a free 127.0.0.1 port, with the run's
   own state, and records every call;
3. a unique temporary MCP config pointing at it is handed to the agent (by default the Claude
   Code CLI, :class:`~llm_pytest.agent.driver.ClaudeCodeAgent`), which calls the tools
   and answers with the verdict JSON;
4. the recorded calls are matched to the plan (:mod:`~llm_pytest.agent.replay`) by the
   interpreter's step walker, so the trace reads like an interpreter trace and ``check``s run
   on the recorded results.

Outcome: a failed step or check is FAIL; else, when the agent did not finish (timeout, error,
turn limit), UNCLEAR with why; else the agent's verdict, parsed as a judge's is, and UNCLEAR when
the answer holds none. The agent's tokens and cost are in ``trace.judge``.

Time limit of the agent's whole run (:func:`agent_timeout`): every tool step's time limit times
its attempts (and retry delays), over the plan, plus a minute for reading the plan and writing
the verdict, and at most half an hour; ``timeout=`` sets it outright.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from llm_pytest.agent.driver import AgentDriver, AgentResult, ClaudeCodeAgent
from llm_pytest.agent.prompt import mcp_tool_name, render_prompt
from llm_pytest.agent.replay import replay
from llm_pytest.agent.server import recording_server
from llm_pytest.errors import ExpressionError, ProviderConfigError, ToolError
from llm_pytest.interpreter.runner import RunSettings, run_log
from llm_pytest.interpreter.stepping import (
    compact,
    compute_vars,
    new_scope,
    step_record,
    with_hint,
)
from llm_pytest.judging.parsing import InvalidVerdict, excerpt, parse_verdict
from llm_pytest.judging.registry import agent_providers
from llm_pytest.model.plan import (
    Plan,
    RepeatPlan,
    StepPlan,
    ToolCallPlan,
    iter_tool_calls,
)
from llm_pytest.model.trace import JudgeRecord, Phase, RunTrace
from llm_pytest.tools.mcp.server import ServedCall
from llm_pytest.tools.registry import ToolContext, ToolRegistry

__all__ = [
    "CLAUDE_ENV",
    "MAX_AGENT_TIMEOUT",
    "THINKING_ALLOWANCE",
    "agent_timeout",
    "default_agent",
    "run_agent_iteration",
]

CLAUDE_ENV = "LLM_PYTEST_CLAUDE"
"""Environment variable naming the ``claude`` executable (else ``claude`` on PATH)."""
MAX_AGENT_TIMEOUT = 1800.0
THINKING_ALLOWANCE = 60.0
"""Seconds for the agent's own work (reading the plan, writing the verdict)."""


async def run_agent_iteration(
    plan: Plan,
    settings: RunSettings,
    registry: ToolRegistry,
    iteration: int,
    *,
    agent: AgentDriver | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 - the agent's whole run, see agent_timeout
) -> RunTrace:
    """Run iteration ``iteration`` of ``plan`` by an agent; its trace, with its outcome.

    ``registry`` is the item's registry (its MCP servers already connected). Without ``agent``
    the Claude Code CLI is used (:func:`default_agent`); when none can run, the run is UNCLEAR
    and nothing is called. Never raises for a failure of the run itself.
    """
    started = time.perf_counter()
    trace = RunTrace(plan.path, plan.test_name, plan.experiment, iteration)
    context = _context(plan, settings.env)
    try:
        await _run(plan, settings, registry, trace, context, agent, timeout)
    finally:
        with anyio.CancelScope(shield=True):
            await context.aclose()
        trace.duration_ms = (time.perf_counter() - started) * 1000
    return trace


async def _run(
    plan: Plan,
    settings: RunSettings,
    registry: ToolRegistry,
    trace: RunTrace,
    context: ToolContext,
    agent: AgentDriver | None,
    limit: float | None,
) -> None:
    try:
        variables = _variables(plan, settings, trace.iteration)
    except ExpressionError as exc:
        _not_run(trace, plan, "vars failed")
        trace.outcome, trace.reason = "FAIL", f"cannot compute vars: {with_hint(exc)}"
        return
    try:
        driver = agent or default_agent(plan, settings.env)
    except ProviderConfigError as exc:
        _not_run(trace, plan, "no agent ran")
        trace.outcome, trace.reason = "UNCLEAR", str(exc)
        return
    tools = _plan_tools(plan, registry)
    prompt = render_prompt(
        plan,
        iteration=trace.iteration,
        variables=variables,
        canonical=registry.canonical,
        # The agent sends a header the spec writes as it is written; what it records is redacted.
        redact=settings.redact.secrets_only,
    )
    allowed = [mcp_tool_name(tool.name) for tool in tools]
    seconds = limit if limit is not None else agent_timeout(plan)
    log = _call_logger(settings, trace.iteration, plan.iterations)
    began = time.perf_counter()
    try:
        limits = _call_limits(plan, registry)
        async with recording_server(tools, context, on_call=log, timeouts=limits) as server:
            result = await _drive(driver, prompt, server.mcp_config(), allowed, seconds, plan)
            calls = list(server.calls)
    except ProviderConfigError as exc:
        _not_run(trace, plan, "no agent ran")
        trace.outcome, trace.reason = "UNCLEAR", str(exc)
        return
    latency = (time.perf_counter() - began) * 1000
    failure = await replay(
        plan,
        trace,
        settings=settings,
        registry=registry,
        context=context,
        calls=calls,
        variables=variables,
        agent_finished=result.error is None,
    )
    trace.judge = _judge_record(driver, result, latency)
    if failure is not None:
        trace.outcome, trace.reason = "FAIL", failure
    elif result.error is not None:
        trace.outcome, trace.reason = "UNCLEAR", f"the agent did not finish: {result.error}"
    else:
        trace.outcome, trace.reason = trace.judge.verdict, trace.judge.reason


def default_agent(plan: Plan, env: Mapping[str, str]) -> AgentDriver:
    """The Claude Code CLI: ``$LLM_PYTEST_CLAUDE``, else ``claude`` on PATH. Raises
    ProviderConfigError when there is none, or when the spec's judge cannot drive tools."""
    provider = plan.judge.provider
    if provider not in (None, "auto") and provider not in agent_providers():
        raise ProviderConfigError(
            f"agent mode runs the steps through Claude Code; the spec's judge provider "
            f"`{provider}` cannot call tools (remove `judge.provider` or set it to "
            f"{' or '.join(agent_providers())})"
        )
    command = env.get(CLAUDE_ENV) or shutil.which("claude", path=env.get("PATH"))
    if not command:
        raise ProviderConfigError(
            "no agent configured: agent mode needs the Claude Code CLI (`claude` on PATH, "
            f"or {CLAUDE_ENV} naming it); install it with npm install -g @anthropic-ai/claude-code"
        )
    return ClaudeCodeAgent(command, env=env)


def agent_timeout(plan: Plan) -> float:
    """Seconds the agent's whole run may take (see the module docstring)."""
    steps = plan.setup + plan.steps + plan.teardown
    budget = THINKING_ALLOWANCE + sum(_budget(step, plan.timeout) for step in steps)
    return min(MAX_AGENT_TIMEOUT, budget)


def _budget(step: StepPlan, default: float) -> float:
    if isinstance(step, ToolCallPlan):
        limit = step.timeout if step.timeout is not None else default
        return limit * (step.retry + 1) + step.retry_delay * step.retry
    inner = sum(_budget(s, default) for s in step.steps)
    if isinstance(step, RepeatPlan):
        # A count known only while running counts once; the cap bounds the total anyway.
        return inner * (step.count if isinstance(step.count, int) else 1)
    return inner


async def _drive(
    driver: AgentDriver,
    prompt: str,
    mcp_config: dict[str, Any],
    allowed: Sequence[str],
    limit: float,
    plan: Plan,
) -> AgentResult:
    """Run the agent with a unique, private, temporary MCP config file."""
    folder = tempfile.mkdtemp(prefix="llm_pytest_mcp_config_")
    try:
        path = Path(folder) / "mcp_config.json"
        # The file holds the server's bearer token: readable by this user only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(mcp_config, file)
        return await driver.run(prompt, path, allowed, limit, model=plan.judge.model)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _judge_record(driver: AgentDriver, result: AgentResult, latency_ms: float) -> JudgeRecord:
    record = JudgeRecord(
        verdict="UNCLEAR",
        reason="",
        provider=driver.name,
        model=result.model,
        raw_excerpt=excerpt(result.text) if result.text else None,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        cost_usd=result.cost_usd,
        latency_ms=latency_ms,
    )
    if result.error is not None:
        record.reason = f"the agent did not finish: {result.error}"
        record.unclear = "judge_failed"
        return record
    try:
        verdict = parse_verdict(result.text)
    except InvalidVerdict as exc:
        record.reason = f"the agent's answer holds no valid verdict: {exc}"
        record.unclear = "judge_failed"
        return record
    record.verdict, record.reason = verdict.verdict, verdict.reason
    record.steps, record.issues = verdict.steps, verdict.issues
    if result.permission_denials:
        names = ", ".join(f"`{name}`" for name in result.permission_denials)
        record.reason += (
            f" (the agent was refused {len(result.permission_denials)} call(s): {names})"
        )
    return record


def _context(plan: Plan, env: Mapping[str, str]) -> ToolContext:
    """The run's state, as the interpreter makes it (relative paths mean the spec's folder)."""
    return ToolContext(env=env, spec_dir=Path(plan.path).resolve().parent)


def _variables(plan: Plan, settings: RunSettings, iteration: int) -> dict[str, Any]:
    scope = new_scope(
        plan, iteration, settings.env, variables={}, stored={}, fixtures=settings.fixtures
    )
    return compute_vars(plan, scope)


def _plan_tools(plan: Plan, registry: ToolRegistry) -> ToolRegistry:
    """The registry's tools that the plan calls (tools it cannot resolve fail in the replay)."""
    chosen: dict[str, Any] = {}
    for step in iter_tool_calls(plan.setup + plan.steps + plan.teardown):
        try:
            tool = registry.get(step.tool)
        except ToolError:
            continue
        chosen.setdefault(tool.name, tool)
    return ToolRegistry(chosen.values())


def _call_limits(plan: Plan, registry: ToolRegistry) -> dict[str, float]:
    """Seconds a call of each tool may take: the longest time limit of the steps calling it."""
    limits: dict[str, float] = {}
    for step in iter_tool_calls(plan.setup + plan.steps + plan.teardown):
        name = registry.canonical(step.tool)
        limit = step.timeout if step.timeout is not None else plan.timeout
        limits[name] = max(limit, limits.get(name, 0.0))
    return limits


def _call_logger(
    settings: RunSettings, iteration: int, iterations: int
) -> Callable[[ServedCall], None] | None:
    log = run_log(settings.log, iteration, iterations)
    if log is None:
        return None

    def on_call(call: ServedCall) -> None:
        redact = settings.redact
        log(f"[agent tool] {call.tool}({compact(redact(call.args))})")
        if call.ok:
            log(f"[tool result] OK: {compact(redact(call.result))}")
        else:
            log(f"[tool result] ERROR: {redact(call.error)}")

    return on_call


def _not_run(trace: RunTrace, plan: Plan, why: str) -> None:
    phases: tuple[tuple[Phase, tuple[StepPlan, ...]], ...] = (
        ("setup", plan.setup),
        ("steps", plan.steps),
        ("teardown", plan.teardown),
    )
    for phase, steps in phases:
        trace.steps.extend(step_record(step, phase, note=why) for step in steps)
