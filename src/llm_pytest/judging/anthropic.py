"""The ``anthropic`` provider: the Messages API over httpx.

The verdict is asked for as structured output (``output_config.format`` json_schema); a server
that refuses it gets a plain request, and that choice is remembered for the provider's lifetime.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from llm_pytest.errors import ProviderConfigError, ProviderError
from llm_pytest.judging.http import FormatLadder, RetryPolicy, post_json
from llm_pytest.judging.settings import Settings, int_setting, str_setting
from llm_pytest.model.judge import CompletionRequest, JudgeRequest, ProviderReply

__all__ = ["API_VERSION", "DEFAULT_BASE_URL", "AnthropicProvider"]

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
OutputFormat = Literal["json_schema", "none"]
_FORMATS: tuple[OutputFormat, ...] = ("json_schema", "none")
_FORMAT_REFUSED = re.compile(r"output_config|output_format|json_schema|format", re.IGNORECASE)
_STOP_REASONS = {"end_turn": "endTurn", "max_tokens": "maxTokens", "stop_sequence": "stopSequence"}


class AnthropicProvider:
    """A judge behind the Anthropic Messages API (``POST /v1/messages``)."""

    name = "anthropic"
    default_model: str | None = "claude-sonnet-4-5"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        api_key_env: str = "ANTHROPIC_API_KEY",
        max_tokens: int = 4096,
        retry_base_delay: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._api_key_env = api_key_env
        self.max_tokens = max_tokens
        self._retry_base_delay = retry_base_delay
        self.output_formats = FormatLadder[OutputFormat](_FORMATS, _FORMAT_REFUSED)

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> AnthropicProvider:
        """Configured from settings (``base_url``, ``api_key_env``, ``max_tokens``) and the
        environment (``ANTHROPIC_BASE_URL``, the key variable)."""
        key_env = str_setting(settings, "api_key_env") or "ANTHROPIC_API_KEY"
        api_key = env.get(key_env)
        if not api_key:
            raise ProviderConfigError(
                f"the anthropic judge needs an API key: set {key_env} "
                "(or name another variable with ini llm_judge_api_key_env)"
            )
        return cls(
            api_key=api_key,
            base_url=str_setting(settings, "base_url")
            or env.get("ANTHROPIC_BASE_URL")
            or DEFAULT_BASE_URL,
            api_key_env=key_env,
            max_tokens=int_setting(settings, "max_tokens", 4096, minimum=1),
        )

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        data = await self.output_formats.post(
            f"{self.base_url}/v1/messages",
            lambda fmt: self._body(request, fmt),
            headers={"x-api-key": self._api_key, "anthropic-version": API_VERSION},
            policy=RetryPolicy(request.timeout, request.max_retries, self._retry_base_delay),
            service=f"Anthropic API at {self.base_url}",
            auth_hint=f"Check {self._api_key_env}.",
        )
        return _reply(data)

    async def complete(self, request: CompletionRequest) -> ProviderReply:
        """A plain message (no output format): the text, usage and stop reason."""
        body: dict[str, Any] = {
            "model": request.model or self.default_model,
            "max_tokens": request.max_tokens,
            "messages": [dict(m) for m in request.messages],
        }
        if request.system:
            body["system"] = request.system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.stop_sequences:
            body["stop_sequences"] = list(request.stop_sequences)
        data = await post_json(
            f"{self.base_url}/v1/messages",
            body,
            headers={"x-api-key": self._api_key, "anthropic-version": API_VERSION},
            policy=RetryPolicy(request.timeout, request.max_retries, self._retry_base_delay),
            service=f"Anthropic API at {self.base_url}",
            auth_hint=f"Check {self._api_key_env}.",
        )
        reply = _reply(data)
        stop = data.get("stop_reason")
        return replace(reply, stop_reason=_STOP_REASONS.get(stop, stop))

    def _body(self, request: JudgeRequest, fmt: OutputFormat) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model or self.default_model,
            "max_tokens": self.max_tokens,
            "system": request.system,
            "messages": request.messages(),
        }
        if fmt == "json_schema":
            body["output_config"] = {"format": {"type": "json_schema", "schema": request.schema}}
        return body


def _reply(data: Any) -> ProviderReply:
    blocks = data.get("content") if isinstance(data, dict) else None
    if not isinstance(blocks, list):
        raise ProviderError(f"the answer has no content blocks: {str(data)[:300]}")
    if data.get("stop_reason") == "refusal":
        raise ProviderError("the model refused to judge (stop_reason: refusal)")
    text = "".join(
        b["text"] for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)
    )
    usage = data.get("usage") or {}
    # Cached prompt tokens are reported apart from input_tokens; all of them were read.
    input_tokens = sum(
        int(usage.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return ProviderReply(
        text=text,
        input_tokens=input_tokens,
        output_tokens=int(usage.get("output_tokens") or 0),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )
