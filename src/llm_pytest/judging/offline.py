"""The ``offline`` provider: no LLM. Every judgement is UNCLEAR, saying how to configure one."""

from __future__ import annotations

import json
from collections.abc import Mapping

from llm_pytest.judging.settings import Settings
from llm_pytest.model.judge import JudgeRequest, ProviderReply
from llm_pytest.model.verdict import NO_JUDGE_REASON

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
