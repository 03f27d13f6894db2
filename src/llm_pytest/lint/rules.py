"""Warnings about specs that compile but are probably not what their author meant (W1xx)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llm_pytest.dsl.spec import Spec
from llm_pytest.expr.parse import Expression, Template
from llm_pytest.lint.findings import Finding
from llm_pytest.lint.fixture_names import fixture_typos
from llm_pytest.lint.nodes import StepNodes
from llm_pytest.lint.vague import is_vague
from llm_pytest.model.plan import Plan, RepeatPlan, ScopePlan, StepPlan, ToolCallPlan

__all__ = ["plan_warnings"]


def plan_warnings(
    plan: Plan, spec: Spec, nodes: StepNodes, *, complete: bool = True
) -> list[Finding]:
    """W101–W106, W108–W113 and W117 for one plan of ``spec``.

    ``complete=False``: a partial plan that lacks what did not parse or resolve; the warnings
    that depend on every expression and step being there (W101, W103) are left out, and the
    others read the step's YAML for keys whose value is missing from the plan.
    """
    out: list[Finding] = []
    calls = list(_tool_calls(plan.setup + plan.steps + plan.teardown, in_fragment=False))
    asserts = plan.verdict is not None
    read: str | None = None
    explicit_timeout = spec.test.timeout is not None or any(
        path == "test.timeout" for path, _, _ in plan.overrides
    )
    for step, in_fragment in calls:
        asserts = (
            asserts
            or bool(step.checks)
            or step.expect is not None
            or step.analyze is not None
            or step.expect_error is not None
            or step.schema is not None
            or step.snapshot is not None
        )
        if (
            step.expect is not None
            and step.analyze is None
            and is_vague(step.expect.source)
            and (complete or "analyze" not in (nodes.node(step.location) or {}))
        ):
            out.append(_vague(step, nodes))
        # a fragment's saved names serve whichever spec uses it; one spec not reading them is fine
        if complete and step.save_as and not in_fragment:
            read = _expression_text(plan) if read is None else read
            if not _reads(read, step.save_as):
                out.append(_unused(step, nodes))
        if explicit_timeout and step.timeout is not None and step.timeout > plan.timeout:
            out.append(_timeout(step, plan.timeout, nodes))
        if plan.deadline is not None and step.timeout is not None and step.timeout > plan.deadline:
            out.append(_beyond_deadline(step, plan.deadline, nodes))
        if step.retry == 0:
            node: dict[str, Any] = nodes.node(step.location) or {}
            if node.get("retry_delay") is not None:
                out.append(_retry_delay(step, nodes))
            if step.until is not None or node.get("until") is not None:
                out.append(_until(step, nodes))
        if step.expect_error is not None and step.continue_on_error:
            out.append(_tolerated_expectation(step, nodes))
        script = _interpolated_script(step)
        if script is not None:
            out.append(_shell_injection(step, script, nodes))
        written: dict[str, Any] = nodes.node(step.location) or {}
        if step.snapshot is None and written.get("snapshot_ignore"):
            out.append(_ignore_without_snapshot(step, nodes))
        volatile = _volatile_fields(step)
        if volatile:
            out.append(_unstorable_snapshot(step, volatile, nodes))
    out += fixture_typos(plan)
    out.extend(_iteration_in_shared_servers(plan))
    if explicit_timeout and plan.deadline is not None and plan.timeout > plan.deadline:
        out.append(
            Finding(
                "W113",
                plan.location,
                f"the test's timeout of {plan.timeout:g} s is above its deadline of "
                f"{plan.deadline:g} s: no step can use its whole timeout",
                "`test.timeout` is each step's default and `test.deadline` the budget of all "
                "setup and steps together: lower `test.timeout` to at most the deadline",
            )
        )
    if complete and not asserts:
        out.append(
            Finding(
                "W101",
                plan.location,
                f"test `{plan.test_name}` asserts nothing: no step has `check` or `expect` "
                "and there is no `verdict`, so it passes whenever its tools do not fail",
                "add `check: result.FIELD == VALUE` to a step, an `expect:` the judge can "
                "verify against the result, or a `verdict:`",
            )
        )
    return out


def _vague(step: ToolCallPlan, nodes: StepNodes) -> Finding:
    text = step.expect.source if step.expect else ""
    return Finding(
        "W102",
        nodes.locate(step.location, ["expect"]),
        f'`expect: "{text}"` only asks whether the step succeeded; a judge cannot verify '
        "anything about the result from it",
        "say what the result must contain (fields, counts, values) and add `analyze:` with "
        "what the judge should check, or use `check:` for an exact assertion",
    )


def _unused(step: ToolCallPlan, nodes: StepNodes) -> Finding:
    name = step.save_as
    return Finding(
        "W103",
        nodes.locate(step.location, ["save_as"]),
        f"`save_as: {name}` binds a name that nothing reads",
        f"read it later as `${{{name}.FIELD}}` (in args, check, expect or verdict), "
        "or remove `save_as`",
    )


def _timeout(step: ToolCallPlan, test_timeout: float, nodes: StepNodes) -> Finding:
    return Finding(
        "W104",
        nodes.locate(step.location, ["timeout"]),
        f"step timeout {step.timeout:g} s is above the test's timeout of {test_timeout:g} s",
        "`test.timeout` is the default for each step, not a limit on the whole test: lower "
        "this step's `timeout`, or raise `test.timeout` if steps really take this long",
    )


def _beyond_deadline(step: ToolCallPlan, deadline: float, nodes: StepNodes) -> Finding:
    return Finding(
        "W113",
        nodes.locate(step.location, ["timeout"]),
        f"step timeout {step.timeout:g} s is above the test's deadline of {deadline:g} s: the "
        "deadline cancels the step first",
        "lower this step's `timeout` to at most `test.deadline`, or raise the deadline if the "
        "test really takes this long",
    )


def _retry_delay(step: ToolCallPlan, nodes: StepNodes) -> Finding:
    return Finding(
        "W105",
        nodes.locate(step.location, ["retry_delay"], key=True),
        "`retry_delay` has no effect: the step has no `retry`, so there is no second attempt",
        "add `retry: N` (extra attempts), or remove `retry_delay`",
    )


def _until(step: ToolCallPlan, nodes: StepNodes) -> Finding:
    return Finding(
        "W106",
        nodes.locate(step.location, ["until"], key=True),
        "`until` is never polled: the step has no `retry`, so it makes one attempt only",
        "add `retry: N` to poll up to N more times (with `retry_delay` seconds between)",
    )


def _tolerated_expectation(step: ToolCallPlan, nodes: StepNodes) -> Finding:
    return Finding(
        "W108",
        nodes.locate(step.location, ["continue_on_error"], key=True),
        "`continue_on_error` makes `expect_error` assert nothing: when the step does not fail "
        "as expected, the run passes all the same",
        "remove `continue_on_error`, so that a step that does not fail as expected fails the run",
    )


def _iteration_in_shared_servers(plan: Plan) -> Iterator[Finding]:
    for server in plan.mcp_servers:
        if server.scope != "item":
            continue
        sources: list[str] = []
        _values((server.command, server.args, server.env, server.url, server.headers), sources)
        if _reads("\n".join(sources), "iteration"):
            yield Finding(
                "W117",
                server.location or plan.location,
                f"MCP server `{server.name}` has `scope: item` but its config reads "
                "`${iteration}`: the item's runs share one server, started before any of "
                "them, so the value is always 0",
                "use `scope: run` (the default) for a server per run, or drop `${iteration}`",
            )


def _ignore_without_snapshot(step: ToolCallPlan, nodes: StepNodes) -> Finding:
    return Finding(
        "W111",
        nodes.locate(step.location, ["snapshot_ignore"], key=True),
        "`snapshot_ignore` without `snapshot`: no snapshot is stored, so nothing is ignored",
        "add `snapshot: true` to keep the step's result as a snapshot, or remove `snapshot_ignore`",
    )


_VOLATILE = {"http_request": ("elapsed_ms", "headers"), "run_command": ("duration_ms",)}
"""Fields of built-in tools' results that differ on every call (`headers` holds `date`)."""


def _volatile_fields(step: ToolCallPlan) -> list[str]:
    """The fields of ``step``'s snapshot that change on every call and are not ignored."""
    if step.snapshot is None:
        return []
    fields = ("duration_ms",) if step.expect_error else _VOLATILE.get(step.tool, ())
    ignored = {path[0] for path in step.snapshot.ignore if path}
    return [f for f in fields if f not in ignored]


def _unstorable_snapshot(step: ToolCallPlan, fields: list[str], nodes: StepNodes) -> Finding:
    what = "the call" if step.expect_error else f"`{step.tool}`'s result"
    names = ", ".join(f"`{f}`" for f in fields)
    return Finding(
        "W112",
        nodes.locate(step.location, ["snapshot"]),
        f"this snapshot can never match: {names} of {what} differ on every call",
        f"add them to `snapshot_ignore: [{', '.join(fields)}]`",
    )


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "fish"})


def _interpolated_script(step: ToolCallPlan) -> int | None:
    """The index of a ``run_command`` shell script (``[sh, -c, SCRIPT]``) that interpolates
    ``${...}``, if there is one."""
    command = step.args.get("argv") if step.tool == "run_command" else None
    if not isinstance(command, list) or len(command) < 3:
        return None
    words = [w.source if isinstance(w, Template) and w.is_literal else w for w in command]
    if not isinstance(words[0], str) or words[0].rsplit("/", 1)[-1] not in _SHELLS:
        return None
    for i, word in enumerate(words[1:-1], start=1):
        if isinstance(word, str) and word.startswith("-") and "c" in word[1:]:
            script = command[i + 1]
            return i + 1 if isinstance(script, Template) and not script.is_literal else None
    return None


def _shell_injection(step: ToolCallPlan, index: int, nodes: StepNodes) -> Finding:
    return Finding(
        "W109",
        nodes.locate(step.location, ["args", "argv", index]),
        "`${...}` inside a shell script: the value becomes shell code, so quotes, `;` or `$(...)` "
        "in it run as commands",
        'pass the value as its own argument (`[sh, -c, \'echo "$1"\', sh, "${...}"]`) or '
        'through `env:`, and read it in the script as "$1" or "$NAME"',
    )


def _tool_calls(
    steps: tuple[StepPlan, ...], *, in_fragment: bool
) -> Iterator[tuple[ToolCallPlan, bool]]:
    for step in steps:
        if isinstance(step, ToolCallPlan):
            yield step, in_fragment
        else:
            yield from _tool_calls(
                step.steps, in_fragment=in_fragment or isinstance(step, ScopePlan)
            )


def _expression_text(plan: Plan) -> str:
    """The text of every expression of ``plan`` (inside ``${...}``, checks, conditions)."""
    sources: list[str] = []
    _values(plan.vars, sources)
    _steps(plan.setup + plan.steps + plan.teardown, sources)
    if plan.verdict is not None:
        _values((plan.verdict.pass_if, plan.verdict.fail_if), sources)
    return "\n".join(sources)


def _reads(text: str, name: str) -> bool:
    """Whether expressions ``text`` may read ``name``: it stands there as a name, not after a
    dot. Scanning text is much cheaper than building references, and it only errs towards
    "read" (a name inside a string literal of an expression counts too)."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "_.") and not (after.isalnum() or after == "_"):
            return True
        start = text.find(name, start + 1)
    return False


def _steps(steps: tuple[StepPlan, ...], sources: list[str]) -> None:
    for step in steps:
        if isinstance(step, ToolCallPlan):
            parts = (step.when, step.args, step.expect, step.analyze, step.until, step.checks)
            _values(parts, sources)
        elif isinstance(step, RepeatPlan):
            _values((step.when, step.count), sources)
            _steps(step.steps, sources)
        else:
            _values((step.when, step.bindings), sources)
            _steps(step.steps, sources)


def _values(value: Any, sources: list[str]) -> None:
    # plans hold plain dicts, lists and tuples; exact type checks (and not descending into
    # plain leaves) keep this walk cheap
    kind = type(value)
    if kind is Template:
        sources.extend(p.source for p in value.parts if type(p) is Expression)
    elif kind is Expression:
        sources.append(value.source)
    elif kind is dict or kind is list or kind is tuple:
        for item in value.values() if kind is dict else value:
            if type(item) not in _LEAVES:
                _values(item, sources)


_LEAVES = frozenset({str, int, float, bool, type(None)})
