"""The ``claude-code`` provider against fake `claude` executables on PATH."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.claude_code import ClaudeCodeProvider, parse_stream
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.model.trace import JudgeRecord

from .support import fake_claude, judge_once


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A directory holding a `claude` that runs the fake with this interpreter."""
    directory = tmp_path / "bin"
    directory.mkdir()
    fake_claude(directory)
    return directory


def fake_env(bin_dir: Path, mode: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_CLAUDE_MODE": mode,
        **extra,
    }


async def judge_with(
    env: dict[str, str],
    *,
    judge_timeout: float = 20.0,
    model: str | None = None,
    result: object = None,
) -> JudgeRecord:
    provider = ClaudeCodeProvider.from_settings({}, env)
    judge = ProviderJudge(provider, model=model, timeout=judge_timeout, max_result_chars=300_000)
    return await judge_once(judge, result=result, within=30)


@pytest.mark.anyio
async def test_the_result_event_gives_verdict_usage_and_cost(bin_dir: Path, tmp_path: Path) -> None:
    argv_file, prompt_file = tmp_path / "argv.json", tmp_path / "prompt.txt"
    env = fake_env(
        bin_dir, "ok", FAKE_CLAUDE_ARGV=str(argv_file), FAKE_CLAUDE_PROMPT=str(prompt_file)
    )
    record = await judge_with(env, model="claude-haiku-4-5")

    assert record.verdict == "PASS"
    assert record.reason == "the data matches"
    assert record.provider == "claude-code"
    assert record.model == "claude-sonnet-4-5"
    assert (record.input_tokens, record.output_tokens) == (2000, 80)
    assert record.cost_usd == pytest.approx(0.0123)
    assert "Create a user" in prompt_file.read_text()
    assert json.loads(argv_file.read_text()) == [
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        "--max-turns",
        "3",
        "--strict-mcp-config",
        "--mcp-config",
        '{"mcpServers":{}}',
        "--model",
        "claude-haiku-4-5",
    ]


@pytest.mark.anyio
async def test_the_prompt_goes_to_stdin_and_never_on_the_command_line(
    bin_dir: Path, tmp_path: Path
) -> None:
    # Every user of the machine can read a command line (`ps`); the prompt holds run values.
    argv_file = tmp_path / "argv.json"
    env = fake_env(bin_dir, "prompt_size", FAKE_CLAUDE_ARGV=str(argv_file))
    record = await judge_with(env, result={"marker": "value-only-in-the-prompt"})
    assert record.verdict == "PASS"
    assert record.reason.startswith("stdin gave ")
    assert "value-only-in-the-prompt" not in argv_file.read_text()


@pytest.mark.anyio
async def test_a_long_prompt_is_written_to_stdin_in_full_and_closed(bin_dir: Path) -> None:
    # With an open stdin pipe the fake would wait forever and the run would time out.
    record = await judge_with(fake_env(bin_dir, "prompt_size"), result="x" * 150_000)
    assert record.verdict == "PASS"
    source, _, read, _ = record.reason.split()
    assert source == "stdin" and int(read) > 150_000


@pytest.mark.anyio
async def test_a_hanging_cli_is_killed_with_its_whole_process_group(
    bin_dir: Path, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    env = fake_env(bin_dir, "hang", FAKE_CLAUDE_PIDS=str(pids_file))
    record = await judge_with(env, judge_timeout=1.0)
    assert record.verdict == "UNCLEAR"
    assert "claude gave no result within 1s (its process group was killed)" in record.reason
    pids = [int(p) for p in pids_file.read_text().split()]
    assert len(pids) == 2
    with anyio.fail_after(5):
        for pid in pids:
            await _exited(pid)


@pytest.mark.anyio
async def test_garbage_output_is_unclear_with_what_was_printed(bin_dir: Path) -> None:
    record = await judge_with(fake_env(bin_dir, "garbage"))
    assert record.verdict == "UNCLEAR"
    assert "claude printed no stream-json result (exit code 0)" in record.reason
    assert "not Claude Code" in record.reason


@pytest.mark.anyio
async def test_an_error_result_is_unclear_with_its_subtype(bin_dir: Path) -> None:
    record = await judge_with(fake_env(bin_dir, "max_turns"))
    assert record.verdict == "UNCLEAR"
    assert "claude ended with error_max_turns" in record.reason


@pytest.mark.anyio
async def test_a_crash_without_events_is_unclear_with_stderr(bin_dir: Path) -> None:
    record = await judge_with(fake_env(bin_dir, "crash"))
    assert record.verdict == "UNCLEAR"
    assert "exited with code 2 without a result event; stderr: fatal: something broke" in (
        record.reason
    )


@pytest.mark.anyio
async def test_an_authentication_failure_stops_the_session(bin_dir: Path) -> None:
    with pytest.raises(ProviderConfigError, match=r"claude cannot authenticate: Invalid API key"):
        await judge_with(fake_env(bin_dir, "auth"))


def test_a_missing_cli_is_a_configuration_error_naming_the_install(tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigError, match="npm install -g @anthropic-ai/claude-code"):
        ClaudeCodeProvider.from_settings({}, {"PATH": str(tmp_path)})


def test_the_stream_parser_keeps_the_model_text_and_result() -> None:
    lines = [
        '{"type": "system", "subtype": "init", "model": "m"}',
        '{"type": "assistant", "message": {"content": [{"type": "text", "text": "hi"}]}}',
        "not json",
        '{"type": "result", "subtype": "success", "result": "hi"}',
    ]
    outcome = parse_stream("\n".join(lines))
    assert outcome.model == "m"
    assert outcome.assistant_text == ["hi"]
    assert outcome.garbage == ["not json"]
    assert outcome.result is not None
    assert outcome.result["result"] == "hi"


async def _exited(pid: int) -> None:
    """Return once ``pid`` has exited (a pidfd turns readable then; a zombie has exited)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        await anyio.wait_readable(fd)
    finally:
        os.close(fd)
