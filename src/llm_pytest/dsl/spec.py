"""The pydantic models of the spec language (docs/language.md). They are the schema.

Every model forbids unknown keys and is strict (a string is never silently read as a number), so
the generated JSON Schema and these models accept exactly the same documents. The docstring under
each field becomes its description in the schema, and so the hover text in editors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "RESERVED_NAMES",
    "ExpectedError",
    "Experiment",
    "FragmentDef",
    "FragmentFile",
    "JudgeSettings",
    "McpHttpServer",
    "McpServer",
    "McpStdioServer",
    "PanelJudge",
    "RepeatStep",
    "SchemaFile",
    "Spec",
    "SpecInfo",
    "Step",
    "ToolStep",
    "UseStep",
    "Verdict",
]

RESERVED_NAMES = frozenset(
    {"vars", "env", "fixtures", "stored", "iteration", "experiment", "result", "call"}
)
"""Names that specs read as built-ins; `save_as`, loop variables and params may not use them."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
ServerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Seconds = Annotated[float, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        use_attribute_docstrings=True,
        populate_by_name=False,
    )


def _not_reserved(name: str | None) -> str | None:
    if name is not None and name in RESERVED_NAMES:
        raise ValueError(
            f"`{name}` is a built-in name ({', '.join(sorted(RESERVED_NAMES))}); choose another"
        )
    return name


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"the fixture `{name}` is listed twice")
        seen.add(name)
    return names


class ExpectedError(_Model):
    """The error a step expects its tool to fail with."""

    matches: NonEmpty | None = Field(default=None, examples=["not found"])
    """A regular expression searched for in the error message (Python `re` syntax)."""
    type: Identifier | None = Field(default=None, examples=["KeyError"])
    """The name of the exception's class or of one of its bases (`LookupError` accepts a
    `KeyError`); `ToolError` for errors the tool reports as such."""

    @model_validator(mode="after")
    def _needs_one(self) -> ExpectedError:
        if self.matches is None and self.type is None:
            raise ValueError("`expect_error` needs `matches`, `type` or both")
        return self


class SchemaFile(_Model):
    """A JSON Schema kept in a file of its own."""

    file: NonEmpty = Field(examples=["schemas/users.schema.json"])
    """The schema's file (JSON, or YAML when it ends in `.yaml`/`.yml`), relative to the spec
    file; its `$ref`s to other files are relative to it."""


def _schema_kind(value: Any) -> str:
    if isinstance(value, SchemaFile):
        return "file"
    if isinstance(value, dict) and set(value) == {"file"}:
        return "file"
    return "inline"


SchemaValue = Annotated[
    Annotated[SchemaFile, Tag("file")] | Annotated[dict[str, Any], Tag("inline")],
    Discriminator(_schema_kind),
    # `{file: ...}` is also an object, so the generated schema says anyOf, not oneOf
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "title": "SchemaFile",
                    "description": "A JSON Schema kept in a file of its own, relative to the "
                    "spec file; its `$ref`s to other files are relative to it.",
                    "properties": {"file": {"type": "string", "minLength": 1}},
                    "required": ["file"],
                    "additionalProperties": False,
                },
                {"type": "object", "description": "A JSON Schema written here."},
            ]
        }
    ),
]


class ToolStep(_Model):
    """A step that calls one tool."""

    name: str | None = None
    """Human-readable step name, shown in reports and failure messages."""
    tool: NonEmpty = Field(examples=["store_value", "http_request", "my_api_create_user"])
    """The tool to call: a built-in (`store_value`, `http_request`, ...), a plugin tool
    `<plugin>_<method>`, or an MCP server tool `<server>_<tool>` / `<server>.<tool>`."""
    args: dict[str, Any] = Field(default_factory=dict, examples=[{"name": "Alice"}])
    """Arguments passed to the tool. Strings may contain `${...}` interpolation; a string that is
    exactly one `${...}` keeps the value's type."""
    save_as: Identifier | None = None
    """Bind the step's result to this name, readable later as `${name.field}`."""
    expect: str | None = None
    """What should happen, in natural language; judged by the LLM together with the result."""
    analyze: str | None = None
    """Extra instructions for the judge: what to look at in the actual data."""
    check: str | list[str] | None = Field(default=None, examples=[["result.status == 200"]])
    """Deterministic assertions (expressions over `result`, `call` and earlier names), checked
    without an LLM. A failing check fails the run and shows the values it read. `call` holds the
    call's details: `error`, `error_type`, `attempts`, `duration_ms` and `text` (the result's
    raw text)."""
    timeout: Seconds | None = Field(default=None, examples=[30])
    """Seconds this step may take; overrides `test.timeout` (default 120)."""
    retry: Annotated[int, Field(ge=0)] = 0
    """Extra attempts after a failure: `retry: 3` means up to 4 attempts in all."""
    retry_delay: Annotated[float, Field(ge=0)] | None = None
    """Seconds to wait between attempts (default 1.0)."""
    until: str | None = Field(default=None, examples=["result.json.ready == true"])
    """Poll: also retry (within `retry`) while this expression over `result` and `call` is
    false."""
    when: bool | str | None = Field(default=None, examples=["vars.enabled"])
    """Run the step only if this expression is true; otherwise it is recorded as skipped."""
    continue_on_error: bool = False
    """Record a failure of this step (the judge sees it) but neither stop nor fail the run. An
    unknown tool or arguments that do not match its schema fail the run all the same."""
    expect_error: NonEmpty | ExpectedError | None = Field(
        default=None, examples=["not found", {"matches": "not found", "type": "ToolError"}]
    )
    """The step passes only if the tool fails with this error: a regular expression searched for
    in the message, or `{matches, type}`. `check` then reads `call` (`result` is null) and
    `save_as` binds `call`."""
    schema_: SchemaValue | None = Field(
        default=None,
        alias="schema",
        examples=[{"file": "schemas/users.schema.json"}, {"type": "object", "required": ["id"]}],
    )
    """A JSON Schema (draft 2020-12) the step's result must match, checked after the call like
    `check`: written here as a mapping, or `{file: path}` relative to the spec file. A mismatch
    fails the step naming the JSON path, the value and the rule."""
    snapshot: bool | NonEmpty | None = Field(default=None, examples=[True, "users"])
    """Compare the step's result with the one stored in `__snapshots__/<spec>.yaml` beside the
    spec (`true`, or a name for the snapshot): a difference fails with a diff, a missing snapshot
    is written (and fails when `CI` is set). `--llm-snapshot-update` rewrites changed ones."""
    snapshot_ignore: list[NonEmpty] = Field(
        default_factory=list, examples=[["id", "users[*].created_at"]]
    )
    """Paths into the result (`id`, `user.created_at`, `users[*].id`) whose values vary from
    run to run: they are replaced by a placeholder before the snapshot is stored or compared."""

    _check_reserved = field_validator("save_as")(_not_reserved)

    @property
    def checks(self) -> list[str]:
        """`check` as a list."""
        if self.check is None:
            return []
        return [self.check] if isinstance(self.check, str) else list(self.check)


class RepeatStep(_Model):
    """A block of steps run several times, with a 0-based loop variable."""

    name: str | None = None
    """Human-readable name of the block, shown in reports."""
    repeat: Annotated[int, Field(ge=0)] | NonEmpty = Field(examples=[5, "len(users.items)"])
    """How many times: a whole number or an expression."""
    as_: Identifier = Field(default="index", alias="as")
    """The loop variable's name (0-based); default `index`."""
    steps: Annotated[list[Step], Field(min_length=1)]
    """The steps of one pass. Inside a repeat, `save_as` keeps the latest value."""
    when: bool | str | None = None
    """Run the block only if this expression is true."""

    _check_reserved = field_validator("as_")(_not_reserved)


class UseStep(_Model):
    """A use of a named fragment: its steps are expanded in place."""

    name: str | None = None
    """Human-readable name, shown in reports."""
    use: NonEmpty
    """The fragment's name (from `fragments:` of this file or of an imported file)."""
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    """Values of the fragment's params; strings may contain `${...}`."""
    when: bool | str | None = None
    """Run the fragment's steps only if this expression is true."""


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        if "tool" in value:
            return "tool"
        if "use" in value:
            return "use"
        if "repeat" in value or "steps" in value:
            return "repeat"
        return "tool"
    if isinstance(value, UseStep):
        return "use"
    if isinstance(value, RepeatStep):
        return "repeat"
    return "tool"


Step = Annotated[
    Annotated[ToolStep, Tag("tool")]
    | Annotated[RepeatStep, Tag("repeat")]
    | Annotated[UseStep, Tag("use")],
    Discriminator(_step_kind),
]
"""A tool call, a repeat block or a fragment use."""


class SpecInfo(_Model):
    """The test's name and settings."""

    __test__ = False

    name: NonEmpty = Field(examples=["User Creation Test"])
    """The test's name, unique within the file; the pytest item id uses it."""
    description: str | None = None
    """What the test verifies; the judge reads it."""
    tags: list[NonEmpty] = Field(default_factory=list, examples=[["api", "smoke"]])
    """Tags become pytest keywords and markers (`-k`, `-m`)."""
    timeout: Seconds | None = Field(default=None, examples=[30])
    """Default seconds for every step (120 when absent); a step's own `timeout` wins."""
    iterations: Annotated[int, Field(ge=1)] = 1
    """Independent runs per variant; the pass rate is measured over them."""
    min_pass_rate: Annotated[float, Field(ge=0, le=1)] = 1.0
    """The item passes when (PASS runs / judged runs) is at least this (0..1)."""
    mode: Literal["judge", "agent"] = "judge"
    """`judge`: steps run in the interpreter and an LLM judges the trace. `agent`: an LLM agent
    runs the steps through MCP and returns the verdict."""
    skip: str | None = None
    """Skip this test, with this reason."""
    xfail: str | None = None
    """Expect this test to fail, with this reason."""
    fixtures: list[Identifier] = Field(default_factory=list, examples=[["base_url"]])
    """pytest fixtures this test requests (as a Python test names them as arguments): set up
    before its runs, torn down after, and readable as `${fixtures.NAME}`. Autouse fixtures
    apply without being named; naming one makes its value readable."""
    deadline: Seconds | None = Field(default=None, examples=[60])
    """Seconds setup and steps of one run may take together (each iteration has its own); when
    they pass, the running step is cancelled and the run fails. Teardown still runs, each of
    its steps within its own `timeout`. `timeout` stays the default of each step."""

    _unique_fixtures = field_validator("fixtures")(_unique)


class McpElicitAnswer(_Model):
    """What the client answers a server's elicitation request with."""

    action: Literal["accept", "decline", "cancel"] = Field(examples=["accept"])
    """`accept` sends `content`; `decline` and `cancel` send nothing."""
    content: dict[str, Any] | None = Field(default=None, examples=[{"email": "a@example.com"}])
    """The form's values, for `accept`."""


McpElicitation = Annotated[
    Literal["accept", "decline", "cancel"] | McpElicitAnswer,
    Field(examples=["decline", {"action": "accept", "content": {"name": "Ada"}}]),
]


class _McpClientFeatures(_Model):
    """What the client does for a server, whatever its transport."""

    validate_args: bool = True
    """Check a call's arguments against the tool's input schema before sending it; `false` sends
    them as written, to test the server's own validation."""
    roots: list[str] | None = Field(default=None, examples=[["."]])
    """Folders offered to the server as roots (relative to the spec file); without it the client
    does not advertise roots."""
    sampling: str | list[str] | None = Field(default=None, examples=["Paris", "judge"])
    """The reply to the server's sampling requests: one text for every request, or a list used
    in order; `judge`: the session's judge LLM answers each request (a scripted reply of exactly
    `judge` is written `[judge]`); without it the client does not advertise sampling."""
    elicitation: McpElicitation | list[McpElicitation] | None = None
    """The answer to the server's elicitation requests: `accept` with `content`, `decline` or
    `cancel`, or a list used in order; without it the client does not advertise elicitation."""


class McpStdioServer(_McpClientFeatures):
    """An MCP server started as a child process, spoken to over stdio."""

    command: NonEmpty = Field(examples=["python"])
    """The executable; `python` means the interpreter running the tests."""
    args: list[str] = Field(default_factory=list, examples=[["-m", "mcp_server_time"]])
    """Command-line arguments; may contain `${...}`."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the server; values may contain `${...}`."""
    cwd: str | None = None
    """Working directory (relative to the spec file)."""
    startup_timeout: Seconds = 30.0
    """Seconds the server may take to start and answer `initialize`."""
    scope: Literal["run", "item"] = "run"
    """`run`: a fresh server for each run (iteration), stopped after the run's teardown;
    `item`: one server shared by all runs of an item, which then share its state."""


class McpHttpServer(_McpClientFeatures):
    """An MCP server reached over streamable HTTP."""

    url: NonEmpty = Field(examples=["http://127.0.0.1:9000/mcp"])
    """The server's MCP endpoint; may contain `${...}`."""
    headers: dict[str, str] = Field(default_factory=dict)
    """HTTP headers sent with every request; values may contain `${...}`."""
    startup_timeout: Seconds = 30.0
    """Seconds the server may take to answer `initialize`."""
    scope: Literal["run", "item"] = "run"
    """`run`: a fresh session for each run (iteration), stopped after the run's teardown;
    `item`: one server shared by all runs of an item, which then share its state."""


def _server_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "http" if "url" in value and "command" not in value else "stdio"
    return "http" if isinstance(value, McpHttpServer) else "stdio"


McpServer = Annotated[
    Annotated[McpStdioServer, Tag("stdio")] | Annotated[McpHttpServer, Tag("http")],
    Discriminator(_server_kind),
]


class Experiment(_Model):
    """A named variant of the test; each becomes its own pytest item."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$")] = Field(
        examples=["small"]
    )
    """The variant's name, shown in the item id: `Test Name[small]`."""
    description: str | None = None
    """What this variant changes."""
    overrides: dict[str, Any] = Field(default_factory=dict, examples=[{"vars.limit": 5}])
    """Dotted paths into the spec and their values: `vars.limit`, `test.timeout`,
    `steps.0.retry`."""


class Verdict(_Model):
    """The overall natural-language judgement of a run."""

    pass_if: str | None = None
    """When the run passes."""
    fail_if: str | None = None
    """When the run fails."""

    @model_validator(mode="after")
    def _needs_one(self) -> Verdict:
        if self.pass_if is None and self.fail_if is None:
            raise ValueError("a verdict needs `pass_if`, `fail_if` or both")
        return self


class PanelJudge(_Model):
    """One judge of a `panel`: a provider, a model, or both."""

    provider: NonEmpty | None = Field(default=None, examples=["anthropic"])
    """A registered judge provider (default: the session's judge)."""
    model: NonEmpty | None = Field(default=None, examples=["claude-haiku-4-5"])
    """The model the provider asks (default: the provider's)."""

    @model_validator(mode="after")
    def _names_one(self) -> PanelJudge:
        if self.provider is None and self.model is None:
            raise ValueError("a panel judge names a `provider`, a `model` or both")
        return self


class JudgeSettings(_Model):
    """Per-spec judge settings (usually set with --llm-provider / ini instead)."""

    provider: NonEmpty | None = Field(default=None, examples=["openai"])
    """A registered judge provider (`pytest --help` lists them under --llm-provider)."""
    model: NonEmpty | None = Field(default=None, examples=["gpt-4.1-mini"])
    """The model the provider asks."""
    max_result_chars: Annotated[int, Field(ge=100)] = 4000
    """How many characters of each step's result the judge sees (longer ones are cut)."""
    votes: Annotated[int, Field(ge=1, le=25)] | None = Field(default=None, examples=[3])
    """Ask the judge this many times and take the majority verdict; a vote with no majority
    is UNCLEAR (default: --llm-judge-votes, else 1)."""
    panel: Annotated[list[PanelJudge], Field(min_length=2)] | None = Field(
        default=None, examples=[[{"provider": "openai"}, {"provider": "anthropic"}]]
    )
    """Judges asked once each, the majority verdict deciding (instead of `votes`)."""

    @model_validator(mode="after")
    def _votes_or_panel(self) -> JudgeSettings:
        if self.votes is not None and self.panel is not None:
            raise ValueError(
                "give `votes` (one judge asked K times) or `panel` (each judge asked once), "
                "not both"
            )
        return self


class FragmentDef(_Model):
    """A named, parameterised list of steps, expanded where `use` names it."""

    description: str | None = None
    """What the fragment does."""
    params: list[Identifier] = Field(default_factory=list)
    """Names bound from the `with:` of each use, readable as `${name}` inside."""
    steps: Annotated[list[Step], Field(min_length=1)]
    """The fragment's steps."""

    @field_validator("params")
    @classmethod
    def _params_ok(cls, params: list[str]) -> list[str]:
        for p in params:
            _not_reserved(p)
        if len(set(params)) != len(params):
            raise ValueError("params must be unique")
        return params


class FragmentFile(_Model):
    """A file of fragments, named in another spec's `imports`."""

    imports: list[NonEmpty] = Field(default_factory=list)
    """Other fragment files (paths relative to this file)."""
    fragments: dict[Identifier, FragmentDef] = Field(default_factory=dict)
    """Named fragments."""


class Spec(_Model):
    """One test: a YAML document of a spec file."""

    test: SpecInfo
    """The test's name and settings."""
    vars: dict[str, Any] = Field(
        default_factory=dict, examples=[{"base_url": "http://127.0.0.1:8000"}]
    )
    """Free values read as `${vars.NAME}`; overridable by experiments and --llm-override."""
    mcp_servers: dict[ServerName, McpServer] = Field(default_factory=dict)
    """External MCP servers whose tools steps call as `<server>_<tool>`."""
    experiments: list[Experiment] = Field(default_factory=list)
    """Named variants of the test, each its own pytest item."""
    imports: list[NonEmpty] = Field(default_factory=list, examples=[["common/auth.yaml"]])
    """Files of fragments, relative to this file."""
    fragments: dict[Identifier, FragmentDef] = Field(default_factory=dict)
    """Named, parameterised step lists for `use:`."""
    setup: list[Step] = Field(default_factory=list)
    """Steps that run first; a failure here skips `steps`."""
    steps: Annotated[list[Step], Field(min_length=1)]
    """The test's steps, run in order."""
    teardown: list[Step] = Field(default_factory=list)
    """Steps that always run last, even after a failure or timeout."""
    verdict: Verdict | None = None
    """The overall natural-language judgement."""
    judge: JudgeSettings | None = None
    """Judge settings for this spec."""
    fixtures: list[Identifier] = Field(default_factory=list, examples=[["live_server"]])
    """pytest fixtures for the test, before those of `test.fixtures` (both lists are merged):
    set up before its runs, torn down after, readable as `${fixtures.NAME}`."""

    _unique_fixtures = field_validator("fixtures")(_unique)


RepeatStep.model_rebuild()
FragmentDef.model_rebuild()
FragmentFile.model_rebuild()
Spec.model_rebuild()
