"""Providers by name. Each name maps to a factory that imports its module only when used, so
choosing a judge never imports the others (nor their optional dependencies).

A project can add its own judge from a conftest or plugin::

    from llm_pytest.judging.registry import provider

    @provider("my-llm")
    def _my_llm(*, settings, env, model):
        return MyProvider(...)          # anything with `name`, `default_model`, `async judge()`
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from typing import Protocol

from llm_pytest.errors import UsageError, closest
from llm_pytest.judging.settings import Settings, str_setting
from llm_pytest.model.judge import Provider

__all__ = [
    "AUTO_ORDER",
    "ProviderFactory",
    "create_provider",
    "provider",
    "provider_names",
    "resolve_provider",
]


class ProviderFactory(Protocol):
    def __call__(
        self, *, settings: Settings, env: Mapping[str, str], model: str | None
    ) -> Provider: ...


_FACTORIES: dict[str, ProviderFactory] = {}

AUTO_ORDER = ("claude-code", "openai", "anthropic", "offline")
"""What ``auto`` tries, in order: the first that is available is used."""


def provider(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a provider factory under ``name`` (a later registration replaces it)."""

    def register(factory: ProviderFactory) -> ProviderFactory:
        _FACTORIES[name] = factory
        return factory

    return register


def provider_names() -> list[str]:
    """Every registered provider name, plus ``auto``."""
    return sorted([*_FACTORIES, "auto"])


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
    factory = _FACTORIES.get(name)
    if factory is None:
        names = provider_names()
        guess = closest(name, names)
        raise UsageError(
            f"unknown judge provider `{name}`"
            + (f"; did you mean `{guess}`?" if guess else "")
            + f" (choose one of: {', '.join(names)})"
        )
    return factory(settings=settings or {}, env=os.environ if env is None else env, model=model)


def resolve_provider(
    name: str = "auto",
    *,
    model: str | None = None,
    settings: Settings | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Provider, str]:
    """The provider to judge with and why it was chosen (for the session header).

    ``auto`` picks claude-code if the ``claude`` CLI is on PATH, else openai if
    ``OPENAI_API_KEY`` is set, else anthropic if ``ANTHROPIC_API_KEY`` is set, else offline.
    """
    settings = settings or {}
    env = os.environ if env is None else env
    if name != "auto":
        return create_provider(
            name, model=model, settings=settings, env=env
        ), "set with --llm-provider or ini llm_provider"
    command = str_setting(settings, "claude_command") or "claude"
    found = shutil.which(command, path=env.get("PATH"))
    if found is not None:
        chosen, why = "claude-code", f"auto: `{command}` is on PATH at {found}"
    elif env.get("OPENAI_API_KEY"):
        chosen, why = "openai", "auto: OPENAI_API_KEY is set"
    elif env.get("ANTHROPIC_API_KEY"):
        chosen, why = "anthropic", "auto: ANTHROPIC_API_KEY is set"
    else:
        chosen = "offline"
        why = (
            f"auto: no `{command}` on PATH, and neither OPENAI_API_KEY nor ANTHROPIC_API_KEY is set"
        )
    return create_provider(chosen, model=model, settings=settings, env=env), why


@provider("offline")
def _offline(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.offline import OfflineProvider

    return OfflineProvider.from_settings(settings, env)


@provider("scripted")
def _scripted(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.scripted import ScriptedProvider

    return ScriptedProvider.from_settings(settings, env)


@provider("openai")
def _openai(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.openai import OpenAIProvider

    return OpenAIProvider.from_settings(settings, env)


@provider("anthropic")
def _anthropic(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.anthropic import AnthropicProvider

    return AnthropicProvider.from_settings(settings, env)


@provider("claude-code")
def _claude_code(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.claude_code import ClaudeCodeProvider

    return ClaudeCodeProvider.from_settings(settings, env)


@provider("local")
def _local(*, settings: Settings, env: Mapping[str, str], model: str | None) -> Provider:
    from llm_pytest.judging.local import LocalProvider

    return LocalProvider.from_settings(settings, env, model)
