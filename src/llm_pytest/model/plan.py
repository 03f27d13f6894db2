"""The compiled plan: what the interpreter runs. Frozen, typed, every node located.

Argument values are *value templates*: plain JSON-like data in which every string that holds a
``${...}`` has been replaced by a parsed :class:`~llm_pytest.expr.parse.Template`. Nothing is parsed
while running; :func:`render_value` evaluates a value template against a scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from llm_pytest.errors import SourceLocation
from llm_pytest.expr.parse import Expression, Template

__all__ = [
    "ExpectedErrorPlan",
    "FixtureUse",
    "JudgePlan",
    "McpClientPlan",
    "McpServerPlan",
    "PanelMember",
    "Plan",
    "RepeatPlan",
    "SchemaPlan",
    "ScopePlan",
    "Scripted",
    "SnapshotPlan",
    "StepPlan",
    "ToolCallPlan",
    "VerdictPlan",
    "render_value",
    "value_to_json",
]

Condition = Expression | bool | None


@dataclass(frozen=True, eq=False, slots=True)
class ExpectedErrorPlan:
    """A step's ``expect_error``: a pattern searched for in the message, a class name, or both."""

    pattern: re.Pattern[str] | None
    type: str | None

    def accepts(self, message: str, types: Sequence[str]) -> bool:
        """Whether an error with ``message``, raised as one of ``types`` (its class, then its
        bases), is the expected one."""
        if self.pattern is not None and self.pattern.search(message) is None:
            return False
        return self.type is None or self.type in types

    def describe(self) -> str:
        """The expectation as a report words it: ``matching `x` of type KeyError``."""
        parts: list[str] = []
        if self.pattern is not None:
            parts.append(f"matching `{self.pattern.pattern}`")
        if self.type is not None:
            parts.append(f"of type {self.type}")
        return " ".join(parts)


@dataclass(frozen=True, eq=False, slots=True)
class SchemaPlan:
    """A step's ``schema``: a checked JSON Schema (draft 2020-12) and every local document its
    ``$ref``s reach, loaded at compile time (so a plan needs no file at run time)."""

    schema: Mapping[str, Any]
    base_uri: str
    """The schema's URI (its file's, or the spec file's for an inline schema)."""
    resources: Mapping[str, Any]
    """Other documents its ``$ref``s reach, by URI."""
    label: str
    """How reports name it: ``schema`` or ``schema users.schema.json``."""
    location: SourceLocation


IgnorePath = tuple[str | int | None, ...]
"""A ``snapshot_ignore`` path: keys, indexes, and None for ``[*]`` (every element)."""


@dataclass(frozen=True, eq=False, slots=True)
class SnapshotPlan:
    """A step's ``snapshot``: where its result is stored and which values vary."""

    file: str
    """The snapshot file: ``__snapshots__/<spec stem>.yaml`` beside the spec."""
    item: str
    """The item's name, the snapshot's first key in that file."""
    name: str
    """Its second key: the snapshot's name, else the step's name, else the step's id."""
    ignore: tuple[IgnorePath, ...]
    ignore_source: tuple[str, ...]
    location: SourceLocation


@dataclass(frozen=True, eq=False, slots=True)
class ToolCallPlan:
    """One tool call, with its retries, checks and judge texts."""

    id: str
    name: str | None
    tool: str
    args: Mapping[str, Any]
    save_as: str | None
    expect: Template | None
    analyze: Template | None
    checks: tuple[Expression, ...]
    timeout: float | None
    retry: int
    retry_delay: float
    until: Expression | None
    when: Condition
    continue_on_error: bool
    location: SourceLocation
    expect_error: ExpectedErrorPlan | None = None
    schema: SchemaPlan | None = None
    snapshot: SnapshotPlan | None = None
    kind: Literal["tool"] = "tool"

    @property
    def label(self) -> str:
        return self.name or self.tool


@dataclass(frozen=True, eq=False, slots=True)
class RepeatPlan:
    """A block of steps run ``count`` times with the loop variable ``var``."""

    id: str
    name: str | None
    count: int | Expression
    var: str
    steps: tuple[StepPlan, ...]
    when: Condition
    location: SourceLocation
    kind: Literal["repeat"] = "repeat"

    @property
    def label(self) -> str:
        count = self.count if isinstance(self.count, int) else self.count.source
        return self.name or f"repeat {count}"


@dataclass(frozen=True, eq=False, slots=True)
class ScopePlan:
    """An expanded fragment use: its params are bound for its steps only."""

    id: str
    name: str | None
    fragment: str
    bindings: Mapping[str, Any]
    steps: tuple[StepPlan, ...]
    when: Condition
    location: SourceLocation
    kind: Literal["use"] = "use"

    @property
    def label(self) -> str:
        return self.name or f"use {self.fragment}"


StepPlan = ToolCallPlan | RepeatPlan | ScopePlan


@dataclass(frozen=True, eq=False, slots=True)
class McpServerPlan:
    """A declared MCP server; string fields may be templates over `vars` and `env`."""

    name: str
    transport: Literal["stdio", "http"]
    command: Any = None
    args: tuple[Any, ...] = ()
    env: Mapping[str, Any] = field(default_factory=dict)
    cwd: str | None = None
    url: Any = None
    headers: Mapping[str, Any] = field(default_factory=dict)
    startup_timeout: float = 30.0
    location: SourceLocation | None = None
    scope: Literal["run", "item"] = "run"
    """``run``: started for each run of the item; ``item``: shared by its runs."""
    client: McpClientPlan = field(default_factory=lambda: McpClientPlan())


@dataclass(frozen=True, eq=False, slots=True)
class VerdictPlan:
    pass_if: Template | None
    fail_if: Template | None


@dataclass(frozen=True, slots=True)
class PanelMember:
    """One judge of a spec's ``judge.panel`` (None: the session's provider or model)."""

    provider: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class JudgePlan:
    provider: str | None = None
    model: str | None = None
    max_result_chars: int = 4000
    votes: int | None = None
    """How often to ask the judge (None: the session's ``--llm-judge-votes``)."""
    panel: tuple[PanelMember, ...] = ()
    """Judges asked once each instead of ``votes``."""
    vote: int = 0
    """Which vote of a consensus a request is (1..K); 0 outside one."""


@dataclass(frozen=True, slots=True)
class FixtureUse:
    """A pytest fixture the test requests, where the spec names it."""

    name: str
    location: SourceLocation


@dataclass(frozen=True, eq=False, slots=True)
class Plan:
    """One pytest item: a test of a spec file under one experiment (or none)."""

    path: str
    test_name: str
    experiment: str | None
    description: str | None
    tags: tuple[str, ...]
    timeout: float
    iterations: int
    min_pass_rate: float
    mode: Literal["judge", "agent"]
    skip: str | None
    xfail: str | None
    vars: Mapping[str, Any]
    mcp_servers: tuple[McpServerPlan, ...]
    setup: tuple[StepPlan, ...]
    steps: tuple[StepPlan, ...]
    teardown: tuple[StepPlan, ...]
    verdict: VerdictPlan | None
    judge: JudgePlan
    location: SourceLocation
    overrides: tuple[tuple[str, Any, str], ...] = ()
    fixtures: tuple[FixtureUse, ...] = ()
    """The pytest fixtures requested: top-level `fixtures:`, then `test.fixtures`."""
    deadline: float | None = None
    """Seconds setup and steps of one run may take together (`test.deadline`), or no limit."""

    @property
    def fixture_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fixtures)

    @property
    def item_name(self) -> str:
        return f"{self.test_name}[{self.experiment}]" if self.experiment else self.test_name

    @property
    def needs_judge(self) -> bool:
        """Whether any natural-language text (expect, analyze, verdict) asks for a judge."""
        if self.verdict is not None:
            return True
        return any(
            s.expect is not None or s.analyze is not None
            for s in iter_tool_calls(self.setup + self.steps + self.teardown)
        )

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data (``llm-pytest plan``); templates show their source."""
        return {
            "path": self.path,
            "test": self.test_name,
            "experiment": self.experiment,
            "item": self.item_name,
            "description": self.description,
            "tags": list(self.tags),
            "timeout": self.timeout,
            "deadline": self.deadline,
            "iterations": self.iterations,
            "min_pass_rate": self.min_pass_rate,
            "mode": self.mode,
            "skip": self.skip,
            "xfail": self.xfail,
            "fixtures": list(self.fixture_names),
            "vars": value_to_json(self.vars),
            "mcp_servers": [_server_json(s) for s in self.mcp_servers],
            "setup": [step_to_json(s) for s in self.setup],
            "steps": [step_to_json(s) for s in self.steps],
            "teardown": [step_to_json(s) for s in self.teardown],
            "verdict": None
            if self.verdict is None
            else {
                "pass_if": _tsrc(self.verdict.pass_if),
                "fail_if": _tsrc(self.verdict.fail_if),
            },
            "judge": {
                "provider": self.judge.provider,
                "model": self.judge.model,
                "max_result_chars": self.judge.max_result_chars,
                "votes": self.judge.votes,
                "panel": [{"provider": m.provider, "model": m.model} for m in self.judge.panel],
            },
            "overrides": [{"path": p, "value": v, "source": s} for p, v, s in self.overrides],
            "location": str(self.location),
        }


def iter_tool_calls(steps: tuple[StepPlan, ...]) -> list[ToolCallPlan]:
    """Every tool call in ``steps``, depth first, in plan order."""
    out: list[ToolCallPlan] = []
    for step in steps:
        if isinstance(step, ToolCallPlan):
            out.append(step)
        else:
            out.extend(iter_tool_calls(step.steps))
    return out


def render_value(value: Any, scope: Mapping[str, Any]) -> Any:
    """Evaluate every template inside ``value`` against ``scope``; other data is returned as is."""
    if isinstance(value, Template):
        return value.render(scope)
    if isinstance(value, dict):
        return {k: render_value(v, scope) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(v, scope) for v in value]
    return value


def value_to_json(value: Any) -> Any:
    """A value template as JSON-ready data: each template becomes its source text."""
    if isinstance(value, Template):
        return value.source
    if isinstance(value, Mapping):
        return {str(k): value_to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [value_to_json(v) for v in value]
    return value


def _tsrc(t: Template | None) -> str | None:
    return None if t is None else t.source


def _cond(c: Condition) -> Any:
    return c.source if isinstance(c, Expression) else c


def step_to_json(step: StepPlan) -> dict[str, Any]:
    """One plan step as JSON-ready data."""
    base: dict[str, Any] = {"id": step.id, "kind": step.kind, "name": step.name}
    if isinstance(step, ToolCallPlan):
        base.update(
            tool=step.tool,
            args=value_to_json(step.args),
            save_as=step.save_as,
            expect=_tsrc(step.expect),
            analyze=_tsrc(step.analyze),
            check=[c.source for c in step.checks],
            timeout=step.timeout,
            retry=step.retry,
            retry_delay=step.retry_delay,
            until=_cond(step.until),
            when=_cond(step.when),
            continue_on_error=step.continue_on_error,
        )
        if step.schema is not None:
            base["schema"] = step.schema.label
        if step.snapshot is not None:
            base["snapshot"] = {
                "name": step.snapshot.name,
                "ignore": list(step.snapshot.ignore_source),
            }
    elif isinstance(step, RepeatPlan):
        base.update(
            repeat=step.count if isinstance(step.count, int) else step.count.source,
            var=step.var,
            when=_cond(step.when),
            steps=[step_to_json(s) for s in step.steps],
        )
    else:
        base.update(
            use=step.fragment,
            bindings=value_to_json(step.bindings),
            when=_cond(step.when),
            steps=[step_to_json(s) for s in step.steps],
        )
    base["location"] = str(step.location)
    return base


def _server_json(s: McpServerPlan) -> dict[str, Any]:
    if s.transport == "stdio":
        return {
            "name": s.name,
            "transport": "stdio",
            "command": value_to_json(s.command),
            "args": value_to_json(s.args),
            "env": value_to_json(s.env),
            "cwd": s.cwd,
            "startup_timeout": s.startup_timeout,
        }
    return {
        "name": s.name,
        "transport": "http",
        "url": value_to_json(s.url),
        "headers": value_to_json(s.headers),
        "startup_timeout": s.startup_timeout,
    }


@dataclass(frozen=True, slots=True)
class Scripted:
    """Scripted answers to a server's requests: ``answers`` in order, or (``repeat``) the one
    answer to every request."""

    answers: tuple[Any, ...]
    repeat: bool = False


@dataclass(frozen=True, slots=True)
class McpClientPlan:
    """What the MCP client offers one server besides calling it (``mcp_servers.NAME``)."""

    validate_args: bool = True
    roots: tuple[str, ...] | None = None
    """Absolute folder paths; None: roots are not advertised."""
    sampling: Scripted | Literal["judge"] | None = None
    """Reply texts, or ``"judge"``: the session's judge LLM answers; None: sampling is not
    advertised."""
    elicitation: Scripted | None = None
    """``{"action", "content"}`` mappings; None: elicitation is not advertised."""
