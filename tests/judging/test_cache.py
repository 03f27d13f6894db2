"""The judge cache: reused only for identical requests, off for repeated iterations, safe
under concurrent writers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from llm_pytest.errors import ProviderError, UsageError
from llm_pytest.judging.cache import CachedVerdict, JudgeCache, cache_enabled, cache_key
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.model.judge import JudgeRequest
from llm_pytest.model.trace import JudgeRecord

from .support import FAIL_JSON, PASS_JSON, RecordingProvider, make_plan, make_trace


@pytest.mark.parametrize(
    ("mode", "iterations", "enabled"),
    [("auto", 1, True), ("auto", 5, False), ("on", 5, True), ("off", 1, False)],
)
def test_cache_modes(mode: str, iterations: int, enabled: bool) -> None:
    assert cache_enabled(mode, iterations) is enabled


def test_an_unknown_cache_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--llm-cache must be one of auto, on, off; not 'yes'"):
        cache_enabled("yes", 1)


def test_the_key_changes_with_provider_model_and_prompt() -> None:
    request = JudgeRequest(system="s", prompt="p")
    keys = {
        cache_key("openai", "m", request),
        cache_key("anthropic", "m", request),
        cache_key("openai", "n", request),
        cache_key("openai", "m", JudgeRequest(system="s", prompt="q")),
    }
    assert len(keys) == 4
    assert cache_key("openai", "m", request) == cache_key("openai", "m", request)


def test_entries_round_trip_and_damaged_ones_are_misses(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path)
    entry = CachedVerdict("FAIL", "r", "m", [{"name": "a", "ok": False}], ["i"], 10, 2, 0.5)
    cache.put("ab" * 32, entry)
    assert cache.get("ab" * 32) == entry
    assert cache.get("cd" * 32) is None
    (tmp_path / "ab" / f"{'ab' * 32}.json").write_text('{"verdict": "MAYBE"')
    assert cache.get("ab" * 32) is None


async def judge_twice(judge: ProviderJudge, *, iterations: int = 1) -> list[JudgeRecord]:
    plan = make_plan(iterations=iterations)
    with anyio.fail_after(10):
        return [await judge(make_trace(plan), plan.judge) for _ in range(2)]


@pytest.mark.anyio
async def test_an_identical_request_is_answered_from_the_cache_at_no_cost(
    tmp_path: Path,
) -> None:
    provider = RecordingProvider([FAIL_JSON])
    first, second = await judge_twice(ProviderJudge(provider, cache=JudgeCache(tmp_path)))
    assert len(provider.requests) == 1
    assert (first.verdict, first.cached, first.cost_usd > 0) == ("FAIL", False, True)
    assert (second.verdict, second.reason, second.cached) == ("FAIL", first.reason, True)
    assert (second.cost_usd, second.input_tokens, second.output_tokens) == (0.0, 0, 0)
    assert second.model == first.model


@pytest.mark.anyio
async def test_a_different_trace_or_model_misses(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path)
    provider = RecordingProvider([PASS_JSON])
    plan = make_plan()
    await ProviderJudge(provider, cache=cache)(make_trace(plan), plan.judge)
    await ProviderJudge(provider, cache=cache)(make_trace(plan, result={"stored": "x"}), plan.judge)
    await ProviderJudge(provider, cache=cache, model="gpt-4o")(make_trace(plan), plan.judge)
    assert len(provider.requests) == 3


@pytest.mark.anyio
async def test_repeated_iterations_reach_the_llm_unless_the_cache_is_forced_on(
    tmp_path: Path,
) -> None:
    provider = RecordingProvider([PASS_JSON])
    auto = ProviderJudge(provider, cache=JudgeCache(tmp_path), cache_mode="auto")
    assert [r.cached for r in await judge_twice(auto, iterations=3)] == [False, False]
    forced = ProviderJudge(provider, cache=JudgeCache(tmp_path / "on"), cache_mode="on")
    assert [r.cached for r in await judge_twice(forced, iterations=3)] == [False, True]


@pytest.mark.anyio
async def test_failures_are_never_cached(tmp_path: Path) -> None:
    provider = RecordingProvider([ProviderError("down"), "no json", "no json", PASS_JSON])
    judge = ProviderJudge(provider, cache=JudgeCache(tmp_path))
    first, second = await judge_twice(judge)
    assert (first.verdict, second.verdict) == ("UNCLEAR", "UNCLEAR")
    [third] = (await judge_twice(judge))[:1]
    assert (third.verdict, third.cached) == ("PASS", False)


_WRITER = """
import sys
from pathlib import Path
from llm_pytest.judging.cache import CachedVerdict, JudgeCache
cache = JudgeCache(Path(sys.argv[1]))
reason = "x" * 5000 + sys.argv[2]
for _ in range(100):
    cache.put("ee" * 32, CachedVerdict("PASS", reason, "m"))
"""


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path)
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), str(n)]) for n in range(3)
    ]
    while any(w.poll() is None for w in writers):
        entry = cache.get("ee" * 32)
        if entry is not None:
            assert entry.reason[:5000] == "x" * 5000
            assert entry.reason[5000:] in {"0", "1", "2"}
    assert [w.wait() for w in writers] == [0, 0, 0]
    final = cache.get("ee" * 32)
    assert final is not None
    assert final.reason[5000:] in {"0", "1", "2"}
    assert not list(tmp_path.glob("*/.tmp-*"))


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    JudgeCache(blocker).put("ab" * 32, CachedVerdict("PASS", "r", None))
    assert JudgeCache(blocker).get("ab" * 32) is None
