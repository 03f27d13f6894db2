"""What a judge call costs: USD per million input and output tokens, per model.

Each provider declares the prices of its models in its registration
(:func:`~llm_pytest.judging.registry.known_prices` gathers them). A model matches the longest
table entry it starts with (``gpt-4.1-mini-2025-04-14`` is priced as ``gpt-4.1-mini``), after any
``vendor/`` prefix (OpenRouter style). Overrides (ini ``llm_judge_prices``) come first; an
unknown model costs 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_pytest.errors import UsageError

__all__ = ["Price", "cost_usd", "find_price", "parse_prices"]


@dataclass(frozen=True, slots=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


def find_price(model: str | None, *tables: Mapping[str, Price]) -> Price | None:
    """The price of ``model`` in the first of ``tables`` that has one: its exact name, else the
    longest matching prefix."""
    if not model:
        return None
    name = model.rsplit("/", 1)[-1]
    for table in tables:
        for candidate in (model, name):
            if candidate in table:
                return table[candidate]
        prefixes = [key for key in table if name.startswith(key)]
        if prefixes:
            return table[max(prefixes, key=len)]
    return None


def cost_usd(
    model: str | None, input_tokens: int, output_tokens: int, *tables: Mapping[str, Price]
) -> float:
    """The cost of a call, priced by the first of ``tables`` that knows the model; 0 when none
    does."""
    price = find_price(model, *tables)
    return price.cost(input_tokens, output_tokens) if price else 0.0


def parse_prices(value: Mapping[str, Any] | str | None) -> dict[str, Price]:
    """Price overrides, given as ``{"model": {"input_per_mtok": x, "output_per_mtok": y}}`` (a
    mapping or its YAML/JSON text) or as ``MODEL=INPUT/OUTPUT`` lines (USD per million tokens).
    Raises UsageError naming the bad entry."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = _parse_text(value)
    out: dict[str, Price] = {}
    for model, entry in value.items():
        if isinstance(entry, Price):
            out[str(model)] = entry
            continue
        try:
            out[str(model)] = Price(float(entry["input_per_mtok"]), float(entry["output_per_mtok"]))
        except (KeyError, TypeError, ValueError):
            raise UsageError(
                f"llm_judge_prices entry `{model}` needs two numbers, input_per_mtok and "
                f"output_per_mtok (USD per million tokens); got {entry!r}"
            ) from None
    return out


_LINE = re.compile(r"\s*([^=\s]+)\s*=\s*([^/\s]+)\s*/\s*(\S+)\s*")


def _parse_text(text: str) -> Mapping[str, Any]:
    lines = [line for line in text.splitlines() if line.strip()]
    matches = [_LINE.fullmatch(line) for line in lines]
    if lines and all(matches):
        return {m[1]: {"input_per_mtok": m[2], "output_per_mtok": m[3]} for m in matches if m}
    import yaml  # only here: the registry imports this module on every pytest run

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, Mapping):
        raise UsageError(
            "llm_judge_prices must be MODEL=INPUT/OUTPUT lines (USD per million tokens), e.g. "
            "`my-model=0.5/1.5`, or a YAML/JSON mapping of models to "
            "{input_per_mtok, output_per_mtok}"
        )
    return data
