"""The ``openai`` provider: Chat Completions on any compatible base URL (OpenAI, Azure OpenAI's
v1 API, OpenRouter, Ollama, vLLM, a llama.cpp server).

The verdict is asked for as structured output (``response_format`` json_schema). A server that
refuses that format gets JSON mode next, then a plain request; the first form it accepts is
remembered for the provider's lifetime.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from llm_pytest.errors import ProviderConfigError, ProviderError
from llm_pytest.judging.http import FormatLadder, RetryPolicy, post_json
from llm_pytest.judging.settings import Settings, float_setting, str_setting
from llm_pytest.model.judge import CompletionRequest, JudgeRequest, ProviderReply

__all__ = ["DEFAULT_BASE_URL", "OpenAIProvider"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
OutputFormat = Literal["json_schema", "json_object", "none"]
_FORMATS: tuple[OutputFormat, ...] = ("json_schema", "json_object", "none")
_FORMAT_REFUSED = re.compile(r"response_format|json_schema|json_object|structured", re.IGNORECASE)
_STOP_REASONS = {"stop": "endTurn", "length": "maxTokens"}


class OpenAIProvider:
    """A judge behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    name = "openai"
    default_model: str | None = "gpt-4.1-mini"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        auth_header: str = "authorization",
        temperature: float | None = None,
        retry_base_delay: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._api_key_env = api_key_env
        self._auth_header = auth_header.lower()
        self._temperature = temperature
        self._retry_base_delay = retry_base_delay
        self.output_formats = FormatLadder[OutputFormat](_FORMATS, _FORMAT_REFUSED)

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> OpenAIProvider:
        """Configured from settings (``base_url``, ``api_key_env``, ``auth_header``,
        ``temperature``) and the environment (``OPENAI_BASE_URL``, the key variable)."""
        base_url = str_setting(settings, "base_url") or env.get("OPENAI_BASE_URL") or ""
        key_env = str_setting(settings, "api_key_env") or "OPENAI_API_KEY"
        api_key = env.get(key_env) or None
        if api_key is None and (not base_url or "api.openai.com" in base_url):
            raise ProviderConfigError(
                f"the openai judge needs an API key: set {key_env} (or name another variable "
                "with ini llm_judge_api_key_env), or point OPENAI_BASE_URL or ini "
                "llm_judge_base_url at a compatible server such as Ollama or vLLM"
            )
        temperature = str_setting(settings, "temperature")
        return cls(
            base_url=base_url or DEFAULT_BASE_URL,
            api_key=api_key,
            api_key_env=key_env,
            auth_header=str_setting(settings, "auth_header") or "authorization",
            temperature=None if temperature is None else float_setting(settings, "temperature", 0),
        )

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        data = await self.output_formats.post(
            f"{self.base_url}/chat/completions",
            lambda fmt: self._body(request, fmt),
            headers=self._headers(),
            policy=RetryPolicy(request.timeout, request.max_retries, self._retry_base_delay),
            service=f"openai-compatible API at {self.base_url}",
            auth_hint=f"Check {self._api_key_env}.",
        )
        return _reply(data)

    async def complete(self, request: CompletionRequest) -> ProviderReply:
        """A plain chat completion (no response format): the text, usage and stop reason."""
        body: dict[str, Any] = {
            "model": request.model or self.default_model,
            "messages": [
                *([{"role": "system", "content": request.system}] if request.system else []),
                *(dict(m) for m in request.messages),
            ],
            "max_tokens": request.max_tokens,
        }
        temperature = request.temperature if request.temperature is not None else self._temperature
        if temperature is not None:
            body["temperature"] = temperature
        if request.stop_sequences:
            body["stop"] = list(request.stop_sequences)
        data = await post_json(
            f"{self.base_url}/chat/completions",
            body,
            headers=self._headers(),
            policy=RetryPolicy(request.timeout, request.max_retries, self._retry_base_delay),
            service=f"openai-compatible API at {self.base_url}",
            auth_hint=f"Check {self._api_key_env}.",
        )
        reply = _reply(data)
        finish = data["choices"][0].get("finish_reason")
        return replace(reply, stop_reason=_STOP_REASONS.get(finish, finish))

    def _headers(self) -> dict[str, str]:
        if self._api_key is None:
            return {}
        if self._auth_header == "authorization":
            return {"Authorization": f"Bearer {self._api_key}"}
        return {self._auth_header: self._api_key}

    def _body(self, request: JudgeRequest, fmt: OutputFormat) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model or self.default_model,
            "messages": [{"role": "system", "content": request.system}, *request.messages()],
        }
        if self._temperature is not None:
            body["temperature"] = self._temperature
        if fmt == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "verdict", "schema": request.schema, "strict": True},
            }
        elif fmt == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body


def _reply(data: Any) -> ProviderReply:
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ProviderError(f"the answer has no choices[0].message: {str(data)[:300]}") from None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        refusal = message.get("refusal") if isinstance(message, dict) else None
        if refusal:
            raise ProviderError(f"the model refused to judge: {refusal}")
        raise ProviderError("the answer's message has no text content")
    usage = data.get("usage") or {}
    return ProviderReply(
        text=content,
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )
