"""The ``offline`` provider: no LLM. Every judgement is UNCLEAR, saying how to configure one."""

from __future__ import annotations

import json

from llm_pytest.model.judge import JudgeRequest, ProviderReply

__all__ = ["OfflineProvider"]


class OfflineProvider:
    """Answers UNCLEAR with ``reason`` ("no judge configured") without asking anyone."""

    name = "offline"
    default_model: str | None = None

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        verdict = {"verdict": "UNCLEAR", "reason": self.reason, "steps": [], "issues": []}
        return ProviderReply(text=json.dumps(verdict))
