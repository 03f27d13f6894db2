"""Judge LLM providers, registered by name and imported lazily, and the judge built on them.

``make_judge`` is what a session uses; ``ProviderJudge`` judges runs with any ``Provider``;
``provider`` registers a new one by name.
"""

from llm_pytest.judging.cache import JudgeCache, cache_enabled
from llm_pytest.judging.judge import ProviderJudge, make_judge
from llm_pytest.judging.registry import (
    create_provider,
    provider,
    provider_names,
    resolve_provider,
)
from llm_pytest.model.judge import VERDICT_SCHEMA, JudgeRequest, Provider, ProviderReply

__all__ = [
    "VERDICT_SCHEMA",
    "JudgeCache",
    "JudgeRequest",
    "Provider",
    "ProviderJudge",
    "ProviderReply",
    "cache_enabled",
    "create_provider",
    "make_judge",
    "provider",
    "provider_names",
    "resolve_provider",
]
