"""Property tests: whatever text arrives, the front end raises only our own errors."""

from __future__ import annotations

import contextlib
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_pytest.dsl.compiler import compile_documents
from llm_pytest.dsl.loader import load_text
from llm_pytest.errors import SpecError

KEYS = [
    "test",
    "name",
    "steps",
    "tool",
    "args",
    "save_as",
    "check",
    "repeat",
    "as",
    "use",
    "with",
    "timeout",
    "retry",
    "retry_delay",
    "until",
    "when",
    "vars",
    "experiments",
    "overrides",
    "fragments",
    "params",
    "imports",
    "verdict",
    "pass_if",
    "mcp_servers",
    "command",
    "url",
    "setup",
    "teardown",
    "expect",
    "iterations",
    "min_pass_rate",
    "mode",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["${a.b}", "${vars.x}", "result.ok", "${", "$${x}", "len(x) > 1", "a", ""]),
    st.text(max_size=12),
)
DOCS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    ),
    max_leaves=25,
)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _compile(text: str) -> None:
    with contextlib.suppress(SpecError):
        compile_documents(load_text(text, "p.yaml"))


@SETTINGS
@given(DOCS)
def test_random_yaml_documents_raise_only_spec_errors(doc: Any) -> None:
    _compile(yaml.safe_dump(doc, allow_unicode=True))


@SETTINGS
@given(
    st.fixed_dictionaries(
        {"test": st.fixed_dictionaries({"name": st.text(min_size=1, max_size=8)})},
        optional={"steps": DOCS, "vars": DOCS, "experiments": DOCS, "fragments": DOCS},
    )
)
def test_spec_shaped_documents_raise_only_spec_errors(doc: dict[str, Any]) -> None:
    _compile(yaml.safe_dump(doc, allow_unicode=True))


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_raises_only_spec_errors(text: str) -> None:
    _compile(text)


@SETTINGS
@given(st.text(alphabet="{}[]:,-&*!|>'\"#%@` \n\tab1", max_size=120))
def test_yaml_punctuation_soup_raises_only_spec_errors(text: str) -> None:
    _compile(text)
