"""Static name analysis: every name an expression reads must be bound before it is read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from llm_pytest.errors import (
    ExpressionError,
    SourceLocation,
    SpecError,
    UndefinedNameError,
    closest,
)
from llm_pytest.expr.parse import Expression, Reference, Template
from llm_pytest.model.plan import Plan, RepeatPlan, ScopePlan, StepPlan, ToolCallPlan

__all__ = ["BUILTIN_NAMES", "check_names"]

BUILTIN_NAMES = frozenset({"vars", "env", "fixtures", "stored", "iteration", "experiment"})
STEP_NAMES = frozenset({"result", "call"})
"""Names of the current step's outcome, read in its `check` and `until` only."""


def check_names(plan: Plan) -> list[SpecError]:
    """Located errors for names read before any step binds them, unknown ``vars`` keys and
    ``fixtures.NAME`` of fixtures the test does not request."""
    checker = _Checker(plan)
    return checker.run()


class _Checker:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.errors: list[SpecError] = []
        self.var_names = list(plan.vars)
        self.fixture_names = list(plan.fixture_names)

    def run(self) -> list[SpecError]:
        plan = self.plan
        defined: list[str] = []
        for name, value in plan.vars.items():
            self.value(value, set(), allow_vars=defined)
            defined.append(name)
        for server in plan.mcp_servers:
            for v in (
                server.command,
                server.url,
                *server.args,
                *server.env.values(),
                *server.headers.values(),
            ):
                self.value(v, set())
        bound: set[str] = set()
        for steps in (plan.setup, plan.steps):
            bound |= self.steps(steps, bound, frozenset())
        # teardown may read what the steps bind: it runs after them when they ran
        self.steps(plan.teardown, bound, frozenset())
        if plan.verdict is not None:
            for t in (plan.verdict.pass_if, plan.verdict.fail_if):
                self.value(t, bound)
        return self.errors

    def steps(self, steps: Iterable[StepPlan], bound: set[str], local: frozenset[str]) -> set[str]:
        """Check ``steps`` in order; returns the names they bind."""
        bound = set(bound)
        for step in steps:
            names = bound | local
            self.condition(step.when, names)
            if isinstance(step, ToolCallPlan):
                self.value(step.args, names)
                if step.until is not None:  # polled before the result is saved
                    self.expression(step.until, names | STEP_NAMES)
                if step.save_as:
                    bound.add(step.save_as)
                for c in step.checks:  # checked after the result is saved
                    self.expression(c, bound | local | STEP_NAMES)
                self.value(step.expect, bound | local)
                self.value(step.analyze, bound | local)
            elif isinstance(step, RepeatPlan):
                if isinstance(step.count, Expression):
                    self.expression(step.count, names)
                bound |= self.steps(step.steps, bound, local | {step.var})
            elif isinstance(step, ScopePlan):
                self.value(step.bindings, names)
                # params are visible inside only: the fragment sees the caller's bindings too
                bound |= self.steps(step.steps, bound, local | frozenset(step.bindings))
        return bound

    def condition(self, cond: Any, names: set[str] | frozenset[str]) -> None:
        if isinstance(cond, Expression):
            self.expression(cond, names)

    def expression(
        self, e: Expression, names: set[str] | frozenset[str], allow_vars: list[str] | None = None
    ) -> None:
        for var in e.loop_variables():
            # a loop variable that hid a run name would make `result` (say) mean two things
            if var.name in names or var.name in BUILTIN_NAMES:
                self.errors.append(
                    ExpressionError(
                        f"the loop variable `{var.name}` in `{e.quote()}` hides the name "
                        f"`{var.name}` that is already bound here",
                        e.locate(var.offset),
                        "give the loop variable a name of its own, e.g. `item`",
                    )
                )
        for ref in e.references():
            seen = names | ref.loop_names if ref.loop_names else names
            self.ref(ref, e.locate(ref.offset), seen, e.quote(), allow_vars)

    def value(
        self, value: Any, names: set[str] | frozenset[str], allow_vars: list[str] | None = None
    ) -> None:
        if isinstance(value, Template):
            for part in value.parts:
                if isinstance(part, Expression):
                    self.expression(part, names, allow_vars)
        elif isinstance(value, Mapping):
            for v in value.values():
                self.value(v, names, allow_vars)
        elif isinstance(value, list | tuple):
            for v in value:
                self.value(v, names, allow_vars)

    def ref(
        self,
        ref: Reference,
        where: SourceLocation | None,
        names: set[str] | frozenset[str],
        source: str,
        allow_vars: list[str] | None = None,
    ) -> None:
        if ref.root == "vars":
            known = self.var_names if allow_vars is None else allow_vars
            self.var_field(ref, known, where, source)
            return
        if ref.root == "fixtures":
            self.fixture_field(ref, where, source)
            return
        if ref.root in BUILTIN_NAMES or ref.root in names:
            return
        available = sorted(BUILTIN_NAMES | set(names) - STEP_NAMES)
        guess = closest(ref.root, [*names, *BUILTIN_NAMES])
        if ref.root in STEP_NAMES:
            message = f"`{ref.root}` can only be read in `check` and `until`"
            hint = "save the step's result with `save_as: NAME` and read `${NAME}` later"
            if ref.root == "call":
                hint = (
                    "read it in this step's `check`; after an `expect_error` step, "
                    "`save_as: NAME` binds it for later steps"
                )
        else:
            message = (
                f"`{ref.root}` is read in `{source}` before any step binds it "
                f"(available: {', '.join(available)})"
            )
            hint = (
                f"did you mean `{guess}`?"
                if guess
                else f"bind it with `save_as: {ref.root}` on an earlier step"
            )
        self.errors.append(UndefinedNameError(message, where, hint))

    def var_field(
        self, ref: Reference, known: list[str], where: SourceLocation | None, source: str
    ) -> None:
        if not ref.path or not isinstance(ref.path[0], str):
            return
        name = ref.path[0]
        if name in known:
            return
        guess = closest(name, known)
        self.errors.append(
            UndefinedNameError(
                f"`vars.{name}` is not defined in `{source}` (vars: {', '.join(known) or 'none'})",
                where,
                hint=f"did you mean `vars.{guess}`?" if guess else f"add `{name}` under `vars:`",
            )
        )

    def fixture_field(self, ref: Reference, where: SourceLocation | None, source: str) -> None:
        if not ref.path or not isinstance(ref.path[0], str):
            return
        name = ref.path[0]
        known = self.fixture_names
        if name in known:
            return
        guess = closest(name, known)
        listed = ", ".join(known) or "none"
        self.errors.append(
            UndefinedNameError(
                f"`fixtures.{name}` is read in `{source}`, but the test does not request the "
                f"fixture `{name}` (requested: {listed})",
                where,
                hint=f"did you mean `fixtures.{guess}`?"
                if guess
                else f"add `{name}` to `test.fixtures: [...]` to request it",
            )
        )
