"""The ``offline`` provider: no LLM. Every judgement is UNCLEAR, saying how to configure one."""

from __future__ import annotations

import json

from llm_pytest.errors import ProviderConfigError
from llm_pytest.model.judge import CompletionRequest, JudgeRequest, ProviderReply

__all__ = ["NO_SAMPLING_JUDGE", "OfflineProvider"]

NO_SAMPLING_JUDGE = (
    "no judge configured: `sampling: judge` needs --llm-provider (or ini `llm_provider`) naming "
    "a judge that can answer text: openai, anthropic or scripted; or script the reply"
)
"""Why a server's sampling request cannot be answered by the judge in an offline session."""


class OfflineProvider:
    """Answers UNCLEAR with ``reason`` ("no judge configured") without asking anyone."""

    name = "offline"
    default_model: str | None = None

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        verdict = {"verdict": "UNCLEAR", "reason": self.reason, "steps": [], "issues": []}
        return ProviderReply(text=json.dumps(verdict))

    async def complete(self, request: CompletionRequest) -> ProviderReply:
        """No LLM to answer: raises ProviderConfigError saying how to configure one."""
        raise ProviderConfigError(NO_SAMPLING_JUDGE)
