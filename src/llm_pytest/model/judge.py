"""What a judge provider receives and returns, and the one-method interface it implements.

A provider turns a :class:`JudgeRequest` into the judge LLM's raw answer (a
:class:`ProviderReply`); parsing, the repair attempt, cost and caching are the
:class:`~llm_pytest.judging.judge.ProviderJudge`'s business, so every provider stays small.

A provider raises :class:`~llm_pytest.errors.ProviderConfigError` when it cannot work as
configured (no key, rejected key, unknown model, missing program) and
:class:`~llm_pytest.errors.ProviderError` when one call failed (timeouts and server errors after
retries, answers of the wrong shape); the judge turns the latter into an UNCLEAR run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

__all__ = [
    "VERDICT_SCHEMA",
    "Completer",
    "CompletionRequest",
    "JudgeRequest",
    "Provider",
    "ProviderReply",
    "Repair",
]

VERDICT_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {
            "type": "string",
            "enum": ["PASS", "FAIL", "UNCLEAR"],
            "description": "PASS: every expectation is met; FAIL: one is not; "
            "UNCLEAR: the evidence does not allow a decision.",
        },
        "reason": {"type": "string", "description": "Why, citing the data that decided it."},
        "steps": {
            "type": "array",
            "description": "One entry per step that has an expectation or analysis.",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "ok": {"type": "boolean"},
                    "finding": {"type": "string"},
                },
                "required": ["name", "ok", "finding"],
                "additionalProperties": False,
            },
        },
        "issues": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Anomalies noticed in the data, even ones that do not fail the run.",
        },
    },
    # Every property is required and no other is allowed: what OpenAI's strict structured
    # output demands. Parsing is more lenient (steps and issues may be missing).
    "required": ["verdict", "reason", "steps", "issues"],
    "additionalProperties": False,
}
"""The JSON Schema of a verdict (docs/language.md §6), sent to providers that constrain output."""

REPAIR_INSTRUCTION = (
    "Your previous answer is not a valid verdict: {error}\n"
    "Answer again with only the JSON object, matching the schema given above."
)


@dataclass(frozen=True, slots=True)
class Repair:
    """The judge's previous, invalid answer and what was wrong with it."""

    answer: str
    error: str


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """One question to a judge LLM: the rendered prompt, the verdict schema and call limits.

    ``test_name``, ``item_name`` and ``iteration`` say which run is judged (the scripted
    provider picks its answer by them), ``vote`` which vote of a consensus asks. ``repair`` is
    set on the one repair attempt.
    """

    system: str
    prompt: str
    schema: Mapping[str, Any] = field(default_factory=lambda: VERDICT_SCHEMA)
    model: str | None = None
    timeout: float = 120.0
    max_retries: int = 3
    test_name: str = ""
    item_name: str = ""
    iteration: int = 1
    repair: Repair | None = None
    vote: int = 0
    """Which vote of a consensus this is (1..K); 0 outside one."""

    def repaired(self, answer: str, error: str) -> JudgeRequest:
        """The same request, followed by the invalid ``answer`` and a request to fix it."""
        return replace(self, repair=Repair(answer, error))

    def messages(self) -> list[dict[str, str]]:
        """The conversation without the system text, in chat-completion form."""
        out = [{"role": "user", "content": self.prompt}]
        if self.repair is not None:
            out.append({"role": "assistant", "content": self.repair.answer})
            out.append(
                {"role": "user", "content": REPAIR_INSTRUCTION.format(error=self.repair.error)}
            )
        return out

    def flat_prompt(self) -> str:
        """Everything as one text, for providers that take a single prompt."""
        parts = [self.system, self.prompt]
        if self.repair is not None:
            parts.append(f"Your previous answer was:\n{self.repair.answer}")
            parts.append(REPAIR_INSTRUCTION.format(error=self.repair.error))
        return "\n\n".join(parts)


@dataclass(frozen=True, slots=True)
class ProviderReply:
    """A judge LLM's raw answer and what it used. ``cost_usd`` is None when the provider does
    not report a cost (it is then computed from the price table)."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    model: str | None = None
    stop_reason: str | None = None
    """Why the completion ended, in MCP's words (``endTurn``, ``maxTokens``, ``stopSequence``);
    None when the provider does not say. Only text completions set it."""


class Provider(Protocol):
    """A judge LLM behind one async method."""

    name: str
    default_model: str | None
    """The model used when none is configured (None: the provider's own default)."""

    async def judge(self, request: JudgeRequest) -> ProviderReply: ...


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """A plain text completion asked of the judge's LLM (an MCP server's sampling request with
    ``sampling: judge``): chat ``messages`` of text, no verdict schema."""

    messages: tuple[Mapping[str, str], ...]
    system: str | None = None
    max_tokens: int = 1024
    model: str | None = None
    temperature: float | None = None
    stop_sequences: tuple[str, ...] = ()
    timeout: float = 120.0
    max_retries: int = 3


class Completer(Protocol):
    """A provider that can also complete text (the optional ability of a :class:`Provider`)."""

    name: str
    default_model: str | None

    async def complete(self, request: CompletionRequest) -> ProviderReply: ...
