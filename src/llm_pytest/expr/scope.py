"""The names an expression can read during a run, and their values."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from llm_pytest.expr.evaluate import EvalFailure

__all__ = ["NO_FIXTURES", "EnvView", "FixtureValues", "RunScope"]


class EnvView(Mapping[str, str]):
    """``env.NAME``: the run's environment, listed by name only when asked."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __getitem__(self, key: str) -> str:
        return self._env[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)

    def __repr__(self) -> str:
        return f"<environment: {len(self._env)} variables>"


class FixtureValues(Mapping[str, Any]):
    """``fixtures.NAME``: the values of the pytest fixtures a test requested.

    A name the run was not given fails with ``missing`` (where fixture values come from), not
    with a list of fields: outside pytest there are none unless the caller passes them.
    """

    def __init__(self, values: Mapping[str, Any], missing: str) -> None:
        self._values = dict(values)
        self._missing = missing

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise EvalFailure(
                f"the pytest fixture `{key}` has no value in this run",
                self._missing,
                undefined=True,
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<fixture values: {', '.join(self._values) or 'none'}>"


NO_FIXTURES = (
    "fixture values exist when the spec runs under `pytest --llm` (or from a Python test "
    "with `llm_runner`); `run_spec(..., fixtures={...})` passes them from code"
)
"""Why ``fixtures.NAME`` has no value where no one provided fixtures."""


class RunScope:
    """Layered names of one run: loop variables and params over saved results over built-ins."""

    def __init__(self, builtins: dict[str, Any]) -> None:
        self.builtins = builtins
        self.saved: dict[str, Any] = {}
        self.view: ChainMap[str, Any] = ChainMap(self.saved, builtins)

    @contextmanager
    def bound(self, names: dict[str, Any]) -> Iterator[None]:
        """Bind loop variables or fragment params for the steps run inside the ``with`` block
        (the dict stays live)."""
        self.view = self.view.new_child(names)
        try:
            yield
        finally:
            self.view = self.view.parents

    def with_result(self, result: Any) -> ChainMap[str, Any]:
        """The scope of `check` and `until`: `result` is the step's result."""
        return self.view.new_child({"result": result})
