"""The optional ``local`` provider (llama-cpp-python with a GGUF model)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.registry import create_provider

from .support import judge_once

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
GGUF = os.environ.get("LLM_PYTEST_GGUF", "")


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


@pytest.mark.local_llm
@pytest.mark.anyio
@pytest.mark.skipif(
    not (HAVE_LLAMA and Path(GGUF).is_file()),
    reason="needs llama-cpp-python and LLM_PYTEST_GGUF pointing at a GGUF model",
)
async def test_a_local_model_answers_a_schema_valid_verdict() -> None:
    judge = ProviderJudge(create_provider("local"), timeout=600)
    record = await judge_once(judge, within=900)
    # Constrained decoding makes the answer a verdict; which one depends on the model.
    assert record.verdict in ("PASS", "FAIL", "UNCLEAR")
    assert not record.reason.startswith("the judge")
    assert record.cost_usd == 0.0
    assert record.input_tokens > 0
