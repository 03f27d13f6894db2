"""The ``offline`` provider: no LLM. Every judgement is UNCLEAR, saying how to configure one."""

from __future__ import annotations

import json
from collections.abc import Mapping

from llm_pytest.interpreter.verdict import NO_JUDGE_REASON
from llm_pytest.providers.base import JudgeRequest, ProviderReply
from llm_pytest.providers.settings import Settings

__all__ = ["OfflineProvider"]


class OfflineProvider:
    """Answers UNCLEAR ("no judge configured") without asking anyone."""

    name = "offline"
    default_model: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> OfflineProvider:
        return cls()

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        verdict = {"verdict": "UNCLEAR", "reason": NO_JUDGE_REASON, "steps": [], "issues": []}
        return ProviderReply(text=json.dumps(verdict))
