"""The stable codes of lint findings, and how ``--select``/``--ignore`` patterns match them.

A code never changes meaning once published; a retired check keeps its number unused.
Warnings are also reported for tests that have errors, where the test's document validated:
W101 and W103 wait until the test's expressions parse and its fragment uses resolve (until then
they cannot tell what the test reads and asserts).

==== ======== =================================================================================
code severity meaning
==== ======== =================================================================================
E101 error    the YAML cannot be loaded (syntax, forbidden tag, alias bomb, size, encoding,
              duplicate key)
E201 error    unknown key (a typo such as ``retry_dely``), with the closest valid key
E202 error    a required key is missing (``test``, ``steps``, ``tool``, ``name``, ...)
E203 error    a value of the wrong type or out of range, or a rule between fields broken
E204 error    two tests of one file have the same name
E205 error    a step's ``schema`` is not a valid JSON Schema (draft 2020-12), its file does not
              parse, or a ``$ref`` in it points at nothing
E206 error    a schema file, or a file a ``$ref`` names, is not found (or is not a local file)
E301 error    an expression or ``${...}`` is invalid: it does not parse, or calls an unknown
              function
E302 error    a name is read before any step binds it, or ``vars.NAME`` is not defined
E401 error    unknown tool (built-ins, plugins, and MCP server tools with ``--mcp``)
E402 error    a required tool argument is missing
E403 error    an argument the tool does not take
E404 error    an argument of the wrong type, or outside what the tool's schema allows
E405 error    an MCP server cannot be configured or started (``--mcp``)
E406 error    a plugin cannot be loaded, so its tools cannot be checked
E501 error    an override (``experiments[*].overrides``) does not apply or breaks the spec
E502 error    a fragment use: unknown fragment, missing or extra param, a fragment using itself,
              a fragment defined twice
E503 error    an import: missing or empty file, import cycle
W101 warning  the test asserts nothing: no ``check``, ``expect`` or ``verdict``
W102 warning  an ``expect`` too vague to judge (e.g. "Request should complete") and no ``analyze``
W103 warning  a ``save_as`` name that nothing reads
W104 warning  a step ``timeout`` above the test's ``timeout``
W105 warning  ``retry_delay`` without ``retry``: there is no second attempt to wait for
W106 warning  ``until`` without ``retry``: the condition is never polled again
W107 warning  a key holding ``${`` (e.g. under ``vars:`` or ``args:``): keys are not
              interpolated, only values are
W108 warning  ``expect_error`` with ``continue_on_error``: a step that does not fail as expected
              does not fail the run
W109 warning  ``${...}`` inside a ``run_command`` shell script (``[sh, -c, "..."]``): the value
              becomes shell code
W111 warning  ``snapshot_ignore`` on a step without ``snapshot``: nothing is stored to ignore in
W112 warning  ``snapshot`` on a step whose result cannot be kept: a built-in tool whose result
              differs on every call (``uuid``-like values, timings) without ``snapshot_ignore``
==== ======== =================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from llm_pytest.errors import UsageError

__all__ = ["CODES", "Code", "Severity", "check_patterns", "matches"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Code:
    """One kind of finding: its code, a short name, and what it means."""

    code: str
    name: str
    description: str

    @property
    def severity(self) -> Severity:
        return "warning" if self.code.startswith("W") else "error"


_TABLE = (
    Code("E101", "yaml-invalid", "The YAML text cannot be loaded."),
    Code("E201", "unknown-key", "A key that is not a field of the spec language."),
    Code("E202", "missing-key", "A required key is missing."),
    Code("E203", "invalid-value", "A value of the wrong type, out of range, or breaking a rule."),
    Code("E204", "duplicate-test-name", "Two tests of one file have the same name."),
    Code("E205", "invalid-schema", "A step's schema that is not a valid JSON Schema."),
    Code("E206", "schema-file-not-found", "A schema file, or one its $ref names, is not found."),
    Code("E301", "invalid-expression", "An expression or `${...}` that does not parse."),
    Code("E302", "undefined-name", "A name read before any step binds it, or an unknown var."),
    Code("E401", "unknown-tool", "A tool that no built-in, plugin or MCP server provides."),
    Code("E402", "missing-argument", "A required tool argument is missing."),
    Code("E403", "unknown-argument", "An argument the tool does not take."),
    Code("E404", "invalid-argument", "An argument that does not match the tool's schema."),
    Code("E405", "mcp-server-unavailable", "An MCP server cannot be configured or started."),
    Code("E406", "plugin-unavailable", "A plugin cannot be loaded."),
    Code("E501", "invalid-override", "An override that does not apply or breaks the spec."),
    Code("E502", "invalid-fragment-use", "A fragment use that does not fit its definition."),
    Code("E503", "invalid-import", "An import that is missing, empty or circular."),
    Code("W101", "asserts-nothing", "The test has no check, expect or verdict."),
    Code("W102", "vague-expect", "An expect too vague for a judge to verify, without analyze."),
    Code("W103", "unused-save-as", "A save_as name that nothing reads."),
    Code("W104", "step-timeout-above-test", "A step timeout above the test's timeout."),
    Code("W105", "retry-delay-without-retry", "retry_delay on a step that never retries."),
    Code("W106", "until-without-retry", "until on a step that never retries."),
    Code("W107", "template-in-key", "A key holding `${`: keys are not interpolated."),
    Code(
        "W108",
        "tolerated-expect-error",
        "expect_error with continue_on_error: a wrong outcome does not fail the run.",
    ),
    Code(
        "W109",
        "interpolated-shell-script",
        "`${...}` inside a run_command shell script: the value becomes shell code.",
    ),
    Code("W111", "snapshot-ignore-without-snapshot", "snapshot_ignore on a step without snapshot."),
    Code(
        "W112",
        "unstorable-snapshot",
        "snapshot on a step whose result differs on every call, with nothing ignored.",
    ),
)

CODES: dict[str, Code] = {c.code: c for c in _TABLE}
"""Every code, in order."""


def matches(code: str, patterns: Iterable[str]) -> bool:
    """Whether ``code`` is one of ``patterns`` (full codes or prefixes such as ``W`` or ``E4``)."""
    return any(code.startswith(p) for p in patterns)


def check_patterns(patterns: Iterable[str], option: str) -> tuple[str, ...]:
    """Normalised (upper-case) patterns; one that matches no code is a :class:`UsageError`."""
    out: list[str] = []
    for raw in patterns:
        pattern = raw.strip().upper()
        if not pattern:
            continue
        if not any(code.startswith(pattern) for code in CODES):
            raise UsageError(
                f"{option}: `{raw}` matches no code; codes are {', '.join(CODES)} "
                "(a prefix such as `W` or `E4` selects a group)"
            )
        out.append(pattern)
    return tuple(out)
