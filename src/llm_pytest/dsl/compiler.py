"""Spec → frozen plans: overrides, experiments, fragments, pre-parsed expressions, name checks.

``compile_file`` reports every problem of a file at once (as :class:`SpecErrors`); a file that
compiles yields one :class:`Plan` per test × experiment. Nothing is parsed while running.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llm_pytest.dsl.fragments import FragmentIndex, load_fragments
from llm_pytest.dsl.jsonschemas import compile_schema
from llm_pytest.dsl.loader import Document, load_file, load_text
from llm_pytest.dsl.names import check_names
from llm_pytest.dsl.overrides import NoMatch, Override, apply_overrides
from llm_pytest.dsl.snapshots import compile_snapshot
from llm_pytest.dsl.spec import (
    ExpectedError,
    Experiment,
    JudgeSettings,
    McpHttpServer,
    McpStdioServer,
    RepeatStep,
    Spec,
    ToolStep,
    UseStep,
)
from llm_pytest.dsl.textpos import string_locator
from llm_pytest.dsl.validate import validate_data
from llm_pytest.errors import (
    ExpressionError,
    OverrideError,
    SourceLocation,
    SpecError,
    SpecErrors,
    ValidationError,
    closest,
)
from llm_pytest.expr.parse import Expression, Template, parse_expression, parse_template
from llm_pytest.model.plan import (
    ExpectedErrorPlan,
    FixtureUse,
    JudgePlan,
    McpClientPlan,
    McpServerPlan,
    PanelMember,
    Plan,
    RepeatPlan,
    SchemaPlan,
    ScopePlan,
    Scripted,
    SnapshotPlan,
    StepPlan,
    ToolCallPlan,
    VerdictPlan,
    iter_tool_calls,
)

__all__ = [
    "DEFAULT_RETRY_DELAY",
    "DEFAULT_TIMEOUT",
    "CompiledFile",
    "PartialPlan",
    "compile_documents",
    "compile_file",
    "compile_text",
]

DEFAULT_TIMEOUT = 120.0
DEFAULT_RETRY_DELAY = 1.0
Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PartialPlan:
    """The plan of a test that has errors, built as far as it goes (for checks that want every
    problem at once, such as lint). It is the test as written: without experiments or overrides.

    ``complete`` is True when nothing was left out (the errors are undefined names, a duplicate
    name, an override): every step, expression and fragment use of the spec is in the plan.
    Otherwise what did not parse or resolve is missing: an expression that does not parse is
    left out (a value template stays its source string), and so is a fragment use that does
    not fit.
    """

    plan: Plan
    spec: Spec
    complete: bool


@dataclass
class CompiledFile:
    """The plans of one file, the validated specs behind them, and every problem found.

    ``partial_plans`` holds, for each validated test that yields no plan, its partial plan.
    ``matched`` holds the indexes of the overrides given that matched at least one test, and
    ``unmatched`` the others' first :class:`NoMatch` (they were left out where they match
    nothing).
    """

    path: str
    plans: list[Plan] = field(default_factory=list)
    specs: list[tuple[Document, Spec]] = field(default_factory=list)
    errors: list[SpecError] = field(default_factory=list)
    partial_plans: list[PartialPlan] = field(default_factory=list)
    matched: set[int] = field(default_factory=set)
    unmatched: dict[int, NoMatch] = field(default_factory=dict)

    def raise_errors(self) -> None:
        if self.errors:
            raise SpecErrors(self.errors)


def compile_file(path: str | os.PathLike[str], overrides: Sequence[Override] = ()) -> list[Plan]:
    """Every plan of the spec file at ``path``; raises :class:`SpecErrors` listing all problems."""
    result = compile_documents(load_file(path), overrides)
    result.raise_errors()
    return result.plans


def compile_text(
    text: str, path: str = "<string>", overrides: Sequence[Override] = ()
) -> list[Plan]:
    """Like :func:`compile_file` for a spec given as text."""
    result = compile_documents(load_text(text, path), overrides)
    result.raise_errors()
    return result.plans


def compile_documents(docs: Sequence[Document], overrides: Sequence[Override] = ()) -> CompiledFile:
    """Compile loaded documents, collecting (not raising) every problem."""
    out = CompiledFile(docs[0].path if docs else "<empty>")
    if not docs:
        return out
    names: dict[str, SourceLocation] = {}
    for doc in docs:
        try:
            spec = validate_data(doc.data, doc, Spec)
        except SpecErrors as exc:
            out.errors.extend(exc.errors)
            continue
        out.specs.append((doc, spec))
        where = doc.locate(["test", "name"])
        problem: SpecError | None = None
        if spec.test.name in names:
            problem = ValidationError(
                f"test name `{spec.test.name}` is already used in this file "
                f"(at line {names[spec.test.name].line})",
                where,
                hint="give every test of a file its own name; pytest ids are built from it",
                kind="duplicate_test",
            )
        else:
            names[spec.test.name] = where
            problem = _duplicate_experiment(doc, spec)
        if problem is not None:
            out.errors.append(problem)
            # only this problem is reported; the plan is still built for checks on the rest
            out.partial_plans.append(_build(doc, spec, None, []).partial(spec))
            continue
        _compile_test(doc, spec, overrides, out)
    for index, error in out.unmatched.items():
        if index not in out.matched and overrides[index].required:
            out.errors.append(error)
    # a command-line override that breaks the spec breaks every variant alike: say it once
    unique = {(type(e), str(e), e.hint): e for e in out.errors}
    out.errors = list(unique.values())
    return out


def _duplicate_experiment(doc: Document, spec: Spec) -> SpecError | None:
    seen: dict[str, int] = {}
    for i, exp in enumerate(spec.experiments):
        if exp.name in seen:
            first = doc.locate(["experiments", seen[exp.name], "name"])
            return ValidationError(
                f"experiment name `{exp.name}` is used twice (first at line {first.line})",
                doc.locate(["experiments", i, "name"]),
                hint="every experiment becomes its own pytest item: give each a unique name",
                kind="experiment",
            )
        seen[exp.name] = i
    return None


def _compile_test(
    doc: Document, spec: Spec, overrides: Sequence[Override], out: CompiledFile
) -> None:
    """The plans of one validated test (one per experiment), or its partial plan."""
    written: _Built | None = None
    if spec.experiments or overrides:
        written = _build(doc, spec, None, [])
        if written.errors:  # the spec as written has errors: report those, not each variant's
            out.errors.extend(written.errors)
            out.partial_plans.append(written.partial(spec))
            return
    variants: list[tuple[int, Experiment] | None] = (
        list(enumerate(spec.experiments)) if spec.experiments else [None]
    )
    planned = len(out.plans)
    for variant in variants:
        built = _compile_variant(doc, spec, variant, overrides, out)
        if built is None:
            continue
        out.errors.extend(built.errors)
        if not built.errors:
            out.plans.append(built.plan)
        elif written is None:  # neither experiments nor overrides: this is the test as written
            written = built
    if len(out.plans) == planned and written is not None:
        out.partial_plans.append(written.partial(spec))


def _compile_variant(
    doc: Document,
    spec: Spec,
    variant: tuple[int, Experiment] | None,
    overrides: Sequence[Override],
    out: CompiledFile,
) -> _Built | None:
    """The variant built (with its errors), or None when its overrides do not apply. The given
    ``overrides`` are left out where they match nothing (``out`` keeps count); an
    experiment's own must match."""
    ovs: list[tuple[int | None, Override]] = []
    experiment: str | None = None
    if variant is not None:
        i, exp = variant
        experiment = exp.name
        ovs = [
            (
                None,
                Override(
                    key,
                    value,
                    f"experiment `{exp.name}`",
                    doc.locate(["experiments", i, "overrides", key], key=True),
                ),
            )
            for key, value in exp.overrides.items()
        ]
    ovs.extend(enumerate(overrides))
    vdoc, vspec = doc, spec
    applied: list[Override] = []
    errors = out.errors
    for index, ov in ovs:
        try:
            vdoc = apply_overrides(vdoc, [ov])
            vspec = validate_data(vdoc.data, vdoc, Spec)
        except NoMatch as exc:
            if index is None:
                errors.append(exc)
                return None
            out.unmatched.setdefault(index, exc)
            continue
        except OverrideError as exc:
            errors.append(exc)
            return None
        except SpecErrors as exc:
            first = exc.errors[0]
            errors.append(
                OverrideError(
                    f"{ov.describe()} makes the spec invalid: {first.message}",
                    ov.location or first.location,
                    hint=first.hint,
                )
            )
            return None
        if index is not None:
            out.matched.add(index)
        applied.append(ov)
    return _build(vdoc, vspec, experiment, applied)


@dataclass(frozen=True, slots=True)
class _Built:
    plan: Plan
    errors: list[SpecError]
    lossy: bool  # something did not parse or resolve, so the plan lacks it

    def partial(self, spec: Spec) -> PartialPlan:
        return PartialPlan(self.plan, spec, complete=not self.lossy)


def _build(doc: Document, spec: Spec, experiment: str | None, applied: list[Override]) -> _Built:
    builder = _Builder(doc, spec)
    plan = builder.build(experiment, applied)
    name_errors = check_names(plan)  # also on a partial plan: report every problem at once
    return _Built(plan, [*builder.errors, *name_errors], builder.lossy)


class _Builder:
    """Turns one validated spec into a plan, collecting every expression error."""

    def __init__(self, doc: Document, spec: Spec) -> None:
        self.doc = doc
        self.spec = spec
        self.errors: list[SpecError] = []
        self.fragments: FragmentIndex = load_fragments(
            doc, dict(spec.fragments), list(spec.imports)
        )
        self.errors.extend(self.fragments.errors)
        self.lossy = False
        self._using: list[str] = []
        self.item = spec.test.name

    def build(self, experiment: str | None, applied: Iterable[Override]) -> Plan:
        spec, doc = self.spec, self.doc
        test = spec.test
        self.item = f"{test.name}[{experiment}]" if experiment else test.name
        plan = Plan(
            path=doc.path,
            test_name=test.name,
            experiment=experiment,
            description=test.description,
            tags=tuple(test.tags),
            timeout=test.timeout if test.timeout is not None else DEFAULT_TIMEOUT,
            iterations=test.iterations,
            min_pass_rate=test.min_pass_rate,
            mode=test.mode,
            skip=test.skip,
            xfail=test.xfail,
            vars={k: self.value(v, doc, ("vars", k)) for k, v in spec.vars.items()},
            mcp_servers=tuple(self.server(name) for name in spec.mcp_servers),
            setup=self.steps(spec.setup, doc, ("setup",)),
            steps=self.steps(spec.steps, doc, ("steps",)),
            teardown=self.steps(spec.teardown, doc, ("teardown",)),
            verdict=None
            if spec.verdict is None
            else VerdictPlan(
                self.text(spec.verdict.pass_if, doc, ("verdict", "pass_if")),
                self.text(spec.verdict.fail_if, doc, ("verdict", "fail_if")),
            ),
            judge=_judge_plan(spec.judge) if spec.judge else JudgePlan(),
            location=doc.locate(["test", "name"]),
            overrides=tuple((o.target, o.value, o.source) for o in applied),
            fixtures=self.fixtures(),
            deadline=test.deadline,
        )
        self.unique_snapshots(plan)
        return plan

    def unique_snapshots(self, plan: Plan) -> None:
        """Two steps of one item may not share a snapshot (one would overwrite the other)."""
        seen: dict[str, SnapshotPlan] = {}
        for step in iter_tool_calls(plan.setup + plan.steps + plan.teardown):
            snap = step.snapshot
            if snap is None:
                continue
            first = seen.setdefault(snap.name, snap)
            if first is not snap:
                self.errors.append(
                    ValidationError(
                        f"the snapshot `{snap.name}` of `{snap.item}` is also taken by the step "
                        f"at {first.location}",
                        snap.location,
                        hint="give each snapshot its own name: `snapshot: NAME` or a step `name:`",
                    )
                )

    def fixtures(self) -> tuple[FixtureUse, ...]:
        """Top-level `fixtures:` then `test.fixtures`, each name once, where it is first named."""
        spec, doc = self.spec, self.doc
        uses: dict[str, FixtureUse] = {}
        lists = ((("fixtures",), spec.fixtures), (("test", "fixtures"), spec.test.fixtures))
        for path, names in lists:
            for i, name in enumerate(names):
                uses.setdefault(name, FixtureUse(name, doc.locate([*path, i])))
        return tuple(uses.values())

    # -- steps -------------------------------------------------------------------------

    def steps(self, steps: Sequence[Any], doc: Document, path: Path_) -> tuple[StepPlan, ...]:
        out: list[StepPlan] = []
        for i, step in enumerate(steps):
            plan = self.step(step, doc, (*path, i))
            if plan is None:  # a fragment use that does not fit: reported, left out
                self.lossy = True
            else:
                out.append(plan)
        return tuple(out)

    def step(self, step: Any, doc: Document, path: Path_) -> StepPlan | None:
        sid = _step_id(path)
        loc = doc.locate(list(path))
        if isinstance(step, ToolStep):
            return ToolCallPlan(
                id=sid,
                name=step.name,
                tool=step.tool,
                args={k: self.value(v, doc, (*path, "args", k)) for k, v in step.args.items()},
                save_as=step.save_as,
                expect=self.text(step.expect, doc, (*path, "expect")),
                analyze=self.text(step.analyze, doc, (*path, "analyze")),
                checks=tuple(
                    e
                    for i, c in enumerate(step.checks)
                    if (e := self.expr(c, doc, _check_path(path, step, i))) is not None
                ),
                timeout=step.timeout,
                retry=step.retry,
                retry_delay=step.retry_delay
                if step.retry_delay is not None
                else DEFAULT_RETRY_DELAY,
                until=self.expr(step.until, doc, (*path, "until")),
                when=self.condition(step.when, doc, (*path, "when")),
                continue_on_error=step.continue_on_error,
                location=loc,
                expect_error=self.expected_error(step.expect_error, doc, path),
                schema=self.schema(step, doc, path),
                snapshot=compile_snapshot(
                    step,
                    doc,
                    path,
                    spec_path=self.doc.path,
                    item=self.item,
                    step_id=sid,
                    errors=self.errors,
                ),
            )
        if isinstance(step, RepeatStep):
            count: int | Expression | None = (
                step.repeat
                if isinstance(step.repeat, int)
                else self.expr(step.repeat, doc, (*path, "repeat"))
            )
            return RepeatPlan(
                id=sid,
                name=step.name,
                count=count if count is not None else 0,
                var=step.as_,
                steps=self.steps(step.steps, doc, (*path, "steps")),
                when=self.condition(step.when, doc, (*path, "when")),
                location=loc,
            )
        assert isinstance(step, UseStep)
        return self.use(step, doc, path, sid, loc)

    def use(
        self, step: UseStep, doc: Document, path: Path_, sid: str, loc: SourceLocation
    ) -> StepPlan | None:
        source = self.fragments.fragments.get(step.use)
        if source is None:
            known = sorted(self.fragments.fragments)
            guess = closest(step.use, known)
            self.errors.append(
                ValidationError(
                    f"unknown fragment `{step.use}` (known: {', '.join(known) or 'none'})",
                    doc.locate([*path, "use"]),
                    hint=f"did you mean `{guess}`?"
                    if guess
                    else "define it under `fragments:` or import a file that does",
                    kind="fragment",
                )
            )
            return None
        if step.use in self._using:
            chain = " → ".join([*self._using, step.use])
            self.errors.append(
                ValidationError(
                    f"fragment `{step.use}` uses itself: {chain}",
                    doc.locate([*path, "use"]),
                    hint="a fragment may not use itself, directly or through others",
                    kind="fragment",
                )
            )
            return None
        params = source.definition.params
        given = list(step.with_)
        bad = False
        for name in given:
            if name not in params:
                guess = closest(name, params)
                self.errors.append(
                    ValidationError(
                        f"fragment `{step.use}` has no param `{name}` "
                        f"(params: {', '.join(params) or 'none'})",
                        doc.locate([*path, "with", name], key=True),
                        hint=f"did you mean `{guess}`?" if guess else "remove it",
                        kind="fragment",
                    )
                )
                bad = True
        missing = [p for p in params if p not in step.with_]
        if missing:
            self.errors.append(
                ValidationError(
                    f"fragment `{step.use}` needs {', '.join(f'`{m}`' for m in missing)} "
                    "under `with:`",
                    doc.locate(list(path)),
                    hint=f"add `with: {{{', '.join(f'{m}: ...' for m in missing)}}}`",
                    kind="fragment",
                )
            )
            bad = True
        if bad:
            return None
        bindings = {k: self.value(v, doc, (*path, "with", k)) for k, v in step.with_.items()}
        self._using.append(step.use)
        try:
            inner = self.steps(source.definition.steps, source.doc, (*source.path, "steps"))
        finally:
            self._using.pop()
        return ScopePlan(
            id=sid,
            name=step.name,
            fragment=step.use,
            bindings=bindings,
            steps=_reid(inner, sid),
            when=self.condition(step.when, doc, (*path, "when")),
            location=loc,
        )

    def server(self, name: str) -> McpServerPlan:
        server = self.spec.mcp_servers[name]
        path: Path_ = ("mcp_servers", name)
        loc = self.doc.locate(list(path), key=True)
        base = Path(self.doc.path).resolve().parent
        if isinstance(server, McpStdioServer):
            return McpServerPlan(
                name=name,
                transport="stdio",
                command=self.value(server.command, self.doc, (*path, "command")),
                args=tuple(
                    self.value(a, self.doc, (*path, "args", i)) for i, a in enumerate(server.args)
                ),
                env={k: self.value(v, self.doc, (*path, "env", k)) for k, v in server.env.items()},
                cwd=str(base / server.cwd) if server.cwd else str(base),
                startup_timeout=server.startup_timeout,
                location=loc,
                scope=server.scope,
                client=_client_plan(server, base),
            )
        return McpServerPlan(
            name=name,
            transport="http",
            url=self.value(server.url, self.doc, (*path, "url")),
            headers={
                k: self.value(v, self.doc, (*path, "headers", k)) for k, v in server.headers.items()
            },
            startup_timeout=server.startup_timeout,
            location=loc,
            scope=server.scope,
            client=_client_plan(server, base),
        )

    # -- values and expressions --------------------------------------------------------

    def value(self, value: Any, doc: Document, path: Path_) -> Any:
        """A value template: strings with `${` become Templates, containers are walked."""
        if isinstance(value, str):
            if "${" not in value:
                return value
            return self.template(value, doc, path) or value
        if isinstance(value, dict):
            return {k: self.value(v, doc, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, doc, (*path, i)) for i, v in enumerate(value)]
        return value

    def text(self, value: str | None, doc: Document, path: Path_) -> Template | None:
        if value is None:
            return None
        return self.template(value, doc, path)

    def template(self, value: str, doc: Document, path: Path_) -> Template | None:
        try:
            return parse_template(value, *string_locator(doc.locate(list(path)), value))
        except ExpressionError as exc:
            self.errors.append(exc)
            self.lossy = True
            return None

    def expr(self, value: str | None, doc: Document, path: Path_) -> Expression | None:
        if value is None:
            return None
        loc, locate = string_locator(doc.locate(list(path)), value)
        try:
            stripped = value.strip()
            if stripped.startswith("${") and stripped.endswith("}"):
                lead = len(value) - len(value.lstrip())
                whole = parse_template(stripped, locate(lead), lambda i: locate(i + lead)).whole
                if whole is not None:
                    return whole
            return parse_expression(value, loc, locate)
        except ExpressionError as exc:
            self.errors.append(exc)
            self.lossy = True
            return None

    def expected_error(
        self, value: str | ExpectedError | None, doc: Document, path: Path_
    ) -> ExpectedErrorPlan | None:
        if value is None:
            return None
        if isinstance(value, str):
            return ExpectedErrorPlan(self.regex(value, doc, (*path, "expect_error")), None)
        pattern = value.matches
        compiled = (
            None
            if pattern is None
            else self.regex(pattern, doc, (*path, "expect_error", "matches"))
        )
        return ExpectedErrorPlan(compiled, value.type)

    def regex(self, value: str, doc: Document, path: Path_) -> re.Pattern[str] | None:
        """``value`` compiled; None (and a located error) when it is not a regular expression."""
        try:
            return re.compile(value)
        except re.error as exc:
            loc, locate = string_locator(doc.locate(list(path)), value)
            where = loc if exc.pos is None else locate(exc.pos)
            self.errors.append(
                ValidationError(
                    f"`expect_error` is not a regular expression: {exc.msg}",
                    where,
                    hint="escape characters such as `(`, `[` or `*` with a backslash to match "
                    "them literally",
                )
            )
            return None

    def schema(self, step: ToolStep, doc: Document, path: Path_) -> SchemaPlan | None:
        if step.schema_ is None:
            return None
        plan = compile_schema(step.schema_, doc, path, self.errors)
        self.lossy = self.lossy or plan is None
        return plan

    def condition(self, value: bool | str | None, doc: Document, path: Path_) -> Any:
        if value is None or isinstance(value, bool):
            return value
        return self.expr(value, doc, path)


def _check_path(path: Path_, step: ToolStep, i: int) -> Path_:
    return (*path, "check", i) if isinstance(step.check, list) else (*path, "check")


def _step_id(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reid(steps: tuple[StepPlan, ...], prefix: str) -> tuple[StepPlan, ...]:
    """Fragment steps are identified under the use step that expanded them."""
    out: list[StepPlan] = []
    for i, step in enumerate(steps):
        sid = f"{prefix}.steps[{i}]"
        if isinstance(step, ToolCallPlan):
            out.append(replace(step, id=sid))
        else:
            out.append(replace(step, id=sid, steps=_reid(step.steps, sid)))
    return tuple(out)


def _client_plan(server: McpStdioServer | McpHttpServer, base: Path) -> McpClientPlan:
    """The client features a server's declaration asks for."""

    def scripted(value: Any) -> Scripted | None:
        if value is None:
            return None
        if isinstance(value, list):
            return Scripted(tuple(value))
        return Scripted((value,), repeat=True)

    def answer(value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            return {"action": value, "content": None}
        return {"action": value.action, "content": value.content}

    elicitation = scripted(server.elicitation)
    return McpClientPlan(
        validate_args=server.validate_args,
        roots=None if server.roots is None else tuple(str(base / r) for r in server.roots),
        sampling="judge" if server.sampling == "judge" else scripted(server.sampling),
        elicitation=elicitation
        and Scripted(tuple(answer(a) for a in elicitation.answers), elicitation.repeat),
    )


def _judge_plan(judge: JudgeSettings) -> JudgePlan:
    return JudgePlan(
        judge.provider,
        judge.model,
        judge.max_result_chars,
        votes=judge.votes,
        panel=tuple(PanelMember(p.provider, p.model) for p in judge.panel or ()),
    )
