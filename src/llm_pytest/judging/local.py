"""The ``local`` provider: a GGUF model run in-process by llama-cpp-python (extra ``[local]``),
its output constrained to the verdict JSON Schema. No network, no key, no cost.

The model file comes from ``--llm-model path/to/model.gguf``, the setting ``gguf`` (ini
``llm_judge_gguf``) or the environment variable ``LLM_PYTEST_GGUF``. It is loaded on first use, and
one completion runs at a time (a llama context is not shared between threads).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from llm_pytest.errors import ProviderConfigError, ProviderError
from llm_pytest.judging.settings import Settings, int_setting, str_setting
from llm_pytest.model.judge import JudgeRequest, ProviderReply

__all__ = ["INSTALL_LINE", "LocalProvider"]

INSTALL_LINE = "pip install 'llm-pytest[local]'"


class LocalProvider:
    """A judge running a local GGUF model with llama-cpp-python."""

    name = "local"

    def __init__(self, model_path: Path, *, n_ctx: int = 8192, max_tokens: int = 1024) -> None:
        self.model_path = model_path
        self.default_model: str | None = model_path.name
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self._llama: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, env: Mapping[str, str], model: str | None = None
    ) -> LocalProvider:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderConfigError(f"the local judge needs llama-cpp-python: {INSTALL_LINE}")
        gguf = model if model and model.endswith(".gguf") else None
        path = gguf or str_setting(settings, "gguf") or env.get("LLM_PYTEST_GGUF")
        if not path:
            raise ProviderConfigError(
                "the local judge needs a GGUF model file: pass --llm-model path/to/model.gguf, "
                "or set ini llm_judge_gguf or LLM_PYTEST_GGUF"
            )
        if not Path(path).is_file():
            raise ProviderConfigError(f"the local judge's GGUF model file does not exist: {path}")
        return cls(
            Path(path),
            n_ctx=int_setting(settings, "n_ctx", 8192, minimum=512),
            max_tokens=int_setting(settings, "max_tokens", 1024, minimum=1),
        )

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        try:
            with anyio.fail_after(request.timeout):
                data = await anyio.to_thread.run_sync(
                    self._complete, request, abandon_on_cancel=True
                )
        except TimeoutError:
            raise ProviderError(
                f"the local model gave no answer within {request.timeout:g}s"
            ) from None
        try:
            text = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ProviderError(f"unexpected answer from llama-cpp: {str(data)[:300]}") from None
        usage = data.get("usage") or {}
        return ProviderReply(
            text=text or "",
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            cost_usd=0.0,
            model=self.default_model,
        )

    def _complete(self, request: JudgeRequest) -> Any:
        with self._lock:
            if self._llama is None:
                from llama_cpp import Llama

                try:
                    self._llama = Llama(
                        model_path=str(self.model_path), n_ctx=self.n_ctx, verbose=False
                    )
                except (ValueError, RuntimeError) as exc:
                    raise ProviderConfigError(
                        f"cannot load the GGUF model {self.model_path}: {exc}"
                    ) from None
            try:
                return self._llama.create_chat_completion(
                    messages=[{"role": "system", "content": request.system}, *request.messages()],
                    response_format={"type": "json_object", "schema": dict(request.schema)},
                    temperature=0.0,
                    max_tokens=self.max_tokens,
                )
            except (ValueError, RuntimeError) as exc:
                raise ProviderError(f"llama-cpp failed: {exc}") from None
