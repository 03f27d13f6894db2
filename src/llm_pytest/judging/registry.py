"""Providers by name, each declared once by its registration: its name, the judge settings it
reads, how ``auto`` finds it, the prices of its models and whether it can drive an agent.
Everything else that speaks of providers (``--llm-provider`` help, the ``llm_judge_*`` ini keys,
the "no judge" reason, agent mode) reads them here.

A factory imports its provider's module only when used, so choosing a judge never imports the
others (nor their optional dependencies), and this module stays light enough for every pytest
run. A project can add its own judge from a conftest or plugin::

    from llm_pytest.judging.registry import provider

    @provider("my-llm", settings={"endpoint": "the server's URL"})
    def _my_llm(*, settings, env, model):
        return MyProvider(...)          # anything with `name`, `default_model`, `async judge()`
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from llm_pytest.errors import UsageError, closest
from llm_pytest.judging.pricing import Price
from llm_pytest.judging.settings import JUDGE_SETTINGS, Settings, str_setting

if TYPE_CHECKING:
    from llm_pytest.model.judge import Provider

__all__ = [
    "OFFLINE",
    "ProviderFactory",
    "ProviderInfo",
    "agent_providers",
    "create_provider",
    "known_prices",
    "no_judge_reason",
    "provider",
    "provider_names",
    "providers",
    "resolve_provider",
    "setting_help",
]

OFFLINE = "offline"
"""The provider that asks no one; ``auto`` falls back to it."""


class ProviderFactory(Protocol):
    def __call__(
        self, *, settings: Settings, env: Mapping[str, str], model: str | None
    ) -> Provider: ...


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """What a provider declares about itself."""

    name: str
    factory: ProviderFactory
    settings: Mapping[str, str] = field(default_factory=dict)
    """The judge settings it reads, each with what it does (ini ``llm_judge_<setting>``)."""
    key_env: str | None = None
    """The environment variable holding its API key: ``auto`` may choose it when that is set."""
    program: tuple[str, str] | None = None
    """The setting naming the program it runs, and the program's default name: ``auto`` may
    choose it when that program is on PATH."""
    auto_rank: int | None = None
    """Where ``auto`` tries it, lowest first; None: ``auto`` never chooses it."""
    prices: Mapping[str, Price] = field(default_factory=dict)
    """USD per million tokens of the models it serves (see :mod:`~llm_pytest.judging.pricing`)."""
    drives_agent: bool = False
    """Whether it can also run the steps of a ``mode: agent`` spec by calling the tools."""


_PROVIDERS: dict[str, ProviderInfo] = {}


def provider(
    name: str,
    *,
    settings: Mapping[str, str] | None = None,
    key_env: str | None = None,
    program: tuple[str, str] | None = None,
    auto_rank: int | None = None,
    prices: Mapping[str, Price] | None = None,
    drives_agent: bool = False,
) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a provider factory under ``name`` with what it declares (see
    :class:`ProviderInfo`); a later registration of a name replaces it."""

    def register(factory: ProviderFactory) -> ProviderFactory:
        _PROVIDERS[name] = ProviderInfo(
            name,
            factory,
            settings=dict(settings or {}),
            key_env=key_env,
            program=program,
            auto_rank=auto_rank,
            prices=dict(prices or {}),
            drives_agent=drives_agent,
        )
        return factory

    return register


def providers() -> list[ProviderInfo]:
    """Every registered provider, in registration order."""
    return list(_PROVIDERS.values())


def provider_names() -> list[str]:
    """Every registered provider name, plus ``auto``."""
    return sorted([*_PROVIDERS, "auto"])


def agent_providers() -> list[str]:
    """The providers that can drive an agent."""
    return [p.name for p in _PROVIDERS.values() if p.drives_agent]


def known_prices() -> dict[str, Price]:
    """The prices every registered provider declares, as one table."""
    return {model: price for p in _PROVIDERS.values() for model, price in p.prices.items()}


def setting_help() -> dict[str, str]:
    """Every judge setting with what it does: the judge's own, then each provider's, named
    after the providers that read it (``openai/anthropic judge: the API base URL``)."""
    readers: dict[str, dict[str, list[str]]] = {}
    for p in _PROVIDERS.values():
        for key, text in p.settings.items():
            readers.setdefault(key, {}).setdefault(text, []).append(p.name)
    out = dict(JUDGE_SETTINGS)
    for key, texts in readers.items():
        out.setdefault(
            key, "; ".join(f"{'/'.join(names)} judge: {text}" for text, names in texts.items())
        )
    return out


def no_judge_reason() -> str:
    """Why a run that needs judgement is UNCLEAR without a judge, and how to choose one."""
    names = ", ".join(p.name for p in _PROVIDERS.values() if p.name != OFFLINE)
    keys = [p.key_env for p in _auto_candidates() if p.key_env]
    hints = [f"set {' or '.join(keys)}"] if keys else []
    hints += [f"put `{p.program[1]}` on PATH" for p in _auto_candidates() if p.program]
    auto = f"; {', or '.join(hints)} for --llm-provider=auto" if hints else ""
    return (
        "no judge configured: this spec has natural-language expectations "
        f"(expect/analyze/verdict) that need an LLM. Choose one with --llm-provider ({names}) "
        f"or ini `llm_provider`{auto}"
    )


def create_provider(
    name: str,
    *,
    model: str | None = None,
    settings: Settings | None = None,
    env: Mapping[str, str] | None = None,
) -> Provider:
    """The provider registered as ``name``, configured from settings and the environment.

    Raises UsageError for an unknown name and ProviderConfigError when it cannot work as
    configured (no key, no CLI, missing optional dependency).
    """
    info = _PROVIDERS.get(name)
    if info is None:
        names = provider_names()
        guess = closest(name, names)
        raise UsageError(
            f"unknown judge provider `{name}`"
            + (f"; did you mean `{guess}`?" if guess else "")
            + f" (choose one of: {', '.join(names)})"
        )
    return info.factory(
        settings=settings or {}, env=os.environ if env is None else env, model=model
    )


def resolve_provider(
    name: str = "auto",
    *,
    model: str | None = None,
    settings: Settings | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Provider, str]:
    """The provider to judge with and why it was chosen (for the session header).

    ``auto`` tries the providers that declare an ``auto_rank``, lowest first: one whose program
    is on PATH or whose API key variable is set is chosen, else offline.
    """
    settings = settings or {}
    env = os.environ if env is None else env
    if name != "auto":
        return create_provider(
            name, model=model, settings=settings, env=env
        ), "set with --llm-provider or ini llm_provider"
    chosen, why = _auto(settings, env)
    return create_provider(chosen, model=model, settings=settings, env=env), why


def _auto_candidates() -> list[ProviderInfo]:
    ranked = [p for p in _PROVIDERS.values() if p.auto_rank is not None]
    return sorted(ranked, key=lambda p: p.auto_rank or 0)


def _auto(settings: Settings, env: Mapping[str, str]) -> tuple[str, str]:
    """The provider ``auto`` chooses and why."""
    missing: list[str] = []
    unset: list[str] = []
    for info in _auto_candidates():
        if info.program is not None:
            setting, default = info.program
            command = str_setting(settings, setting) or default
            found = shutil.which(command, path=env.get("PATH"))
            if found is not None:
                return info.name, f"auto: `{command}` is on PATH at {found}"
            missing.append(f"no `{command}` on PATH")
        if info.key_env is not None:
            if env.get(info.key_env):
                return info.name, f"auto: {info.key_env} is set"
            unset.append(info.key_env)
    if unset:
        missing.append(_none_set(unset))
    return OFFLINE, "auto: " + (", and ".join(missing) or "no provider is found automatically")


def _none_set(keys: list[str]) -> str:
    if len(keys) == 1:
        return f"{keys[0]} is not set"
    if len(keys) == 2:
        return f"neither {keys[0]} nor {keys[1]} is set"
    return f"none of {', '.join(keys[:-1])} or {keys[-1]} is set"


# -- the built-in providers ---------------------------------------------------------------------

_API_SETTINGS = {
    "base_url": "the API base URL",
    "api_key_env": "the environment variable holding the API key",
}
_MAX_TOKENS = {"max_tokens": "the answer's token limit"}


@provider(OFFLINE)
def _offline(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.offline import OfflineProvider

    return OfflineProvider(no_judge_reason())


@provider("scripted", settings={"script": "a YAML/JSON file of verdicts, or module:function"})
def _scripted(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.scripted import ScriptedProvider

    return ScriptedProvider.from_settings(settings, env)


@provider(
    "openai",
    settings={
        **_API_SETTINGS,
        "auth_header": "the header that carries the key (authorization or api-key)",
        "temperature": "sampling temperature",
    },
    key_env="OPENAI_API_KEY",
    auto_rank=2,
    # List prices (standard tier, uncached input).
    prices={
        "gpt-4.1": Price(2.00, 8.00),
        "gpt-4.1-mini": Price(0.40, 1.60),
        "gpt-4.1-nano": Price(0.10, 0.40),
        "gpt-4o": Price(2.50, 10.00),
        "gpt-4o-mini": Price(0.15, 0.60),
        "gpt-5": Price(1.25, 10.00),
        "gpt-5-mini": Price(0.25, 2.00),
        "gpt-5-nano": Price(0.05, 0.40),
        "o3": Price(2.00, 8.00),
        "o3-mini": Price(1.10, 4.40),
        "o4-mini": Price(1.10, 4.40),
    },
)
def _openai(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.openai import OpenAIProvider

    return OpenAIProvider.from_settings(settings, env)


@provider(
    "anthropic",
    settings={**_API_SETTINGS, **_MAX_TOKENS},
    key_env="ANTHROPIC_API_KEY",
    auto_rank=3,
    # List prices (standard tier, uncached input).
    prices={
        "claude-opus-4": Price(15.00, 75.00),
        "claude-opus-4-5": Price(5.00, 25.00),
        "claude-sonnet-4": Price(3.00, 15.00),
        "claude-3-7-sonnet": Price(3.00, 15.00),
        "claude-haiku-4-5": Price(1.00, 5.00),
        "claude-3-5-haiku": Price(0.80, 4.00),
        "claude-3-haiku": Price(0.25, 1.25),
    },
)
def _anthropic(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.anthropic import AnthropicProvider

    return AnthropicProvider.from_settings(settings, env)


@provider(
    "claude-code",
    settings={"claude_command": "the claude executable", "max_turns": "--max-turns"},
    program=("claude_command", "claude"),
    auto_rank=1,
    drives_agent=True,
)
def _claude_code(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.claude_code import ClaudeCodeProvider

    return ClaudeCodeProvider.from_settings(settings, env)


@provider(
    "local",
    settings={
        "gguf": "a GGUF model: a .gguf file, or an installed model package's name",
        "n_ctx": "the model's context size in tokens",
        **_MAX_TOKENS,
    },
)
def _local(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.local import LocalProvider

    return LocalProvider.from_settings(settings, env, model)
