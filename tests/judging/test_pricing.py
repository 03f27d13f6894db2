"""Costs from the prices the providers declare and their overrides."""

from __future__ import annotations

import pytest

from llm_pytest.errors import UsageError
from llm_pytest.judging.pricing import Price, cost_usd, find_price, parse_prices
from llm_pytest.judging.registry import known_prices, providers

TABLE = known_prices()


def test_dated_and_vendor_prefixed_names_find_their_model() -> None:
    assert find_price("gpt-4.1-mini-2025-04-14", TABLE) == Price(0.40, 1.60)
    assert find_price("gpt-4.1-2025-04-14", TABLE) == Price(2.00, 8.00)
    assert find_price("openai/gpt-4o-mini", TABLE) == Price(0.15, 0.60)
    assert find_price("claude-sonnet-4-5-20250929", TABLE) == Price(3.00, 15.00)
    assert find_price("claude-haiku-4-5", TABLE) == Price(1.00, 5.00)


def test_cost_is_per_million_tokens() -> None:
    assert cost_usd("gpt-4.1", 1_000_000, 500_000, TABLE) == pytest.approx(2.0 + 4.0)


def test_an_unknown_model_costs_nothing() -> None:
    assert cost_usd("my-local-model", 10_000, 10_000, TABLE) == 0.0
    assert cost_usd(None, 10, 10, TABLE) == 0.0


def test_overrides_win_and_may_be_given_as_text() -> None:
    overrides = parse_prices('{"gpt-4.1": {"input_per_mtok": 1, "output_per_mtok": 1}}')
    assert cost_usd("gpt-4.1-2025-04-14", 1_000_000, 1_000_000, overrides, TABLE) == 2.0
    overrides = parse_prices({"my-model": {"input_per_mtok": "0.5", "output_per_mtok": 1.5}})
    assert find_price("my-model", overrides, TABLE) == Price(0.5, 1.5)


def test_overrides_may_be_ini_lines() -> None:
    overrides = parse_prices("my-model=0.5/1.5\n  other = 1 / 2\n")
    assert overrides == {"my-model": Price(0.5, 1.5), "other": Price(1.0, 2.0)}


def test_a_bad_override_names_the_entry() -> None:
    with pytest.raises(UsageError, match="entry `m` needs two numbers"):
        parse_prices({"m": {"input_per_mtok": 1}})
    with pytest.raises(UsageError, match="entry `m` needs two numbers"):
        parse_prices("m=cheap/1")
    with pytest.raises(UsageError, match="must be MODEL=INPUT/OUTPUT lines"):
        parse_prices("[1, 2]")


def test_each_provider_declares_the_prices_of_its_own_models() -> None:
    declared = {p.name: p for p in providers()}
    openai, anthropic = declared["openai"], declared["anthropic"]
    assert openai.prices["gpt-4.1-mini"] == Price(0.40, 1.60)
    assert anthropic.prices["claude-sonnet-4"] == Price(3.00, 15.00)
    assert not set(openai.prices) & set(anthropic.prices)
