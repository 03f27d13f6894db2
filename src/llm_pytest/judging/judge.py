"""The judges the interpreter calls: ``ProviderJudge`` and the session's ``make_judge``.

``ProviderJudge`` asks one provider one question per run: it renders the prompt, consults the
cache, calls the provider, parses the answer (with one repair attempt), and records usage and
cost. A provider that cannot answer makes the run UNCLEAR with the reason, marked as the judge's
failure (which fails the item, unlike its own UNCLEAR answer); only a configuration problem
(ProviderConfigError) is raised, so the session can stop with one message. Nothing but a parsed
PASS is ever a PASS.

``make_judge`` chooses the session's judge from options and ini settings and says which and
why, wrapped in a :class:`~llm_pytest.judging.consensus.ConsensusJudge` that asks it several
times when a spec's ``judge.votes``/``judge.panel`` or the ``votes`` setting says so. With
``auto``, a spec that names its own ``judge.provider`` (or a panel member its provider) is
judged by that provider; a provider chosen by name (``--llm-provider`` / ini ``llm_provider``)
judges every spec, panel members included, so a session run with ``scripted`` or ``offline``
never reaches an LLM.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_pytest.errors import ProviderConfigError, ProviderError, UsageError
from llm_pytest.judging.cache import CachedVerdict, JudgeCache, cache_enabled, cache_key
from llm_pytest.judging.consensus import MAX_VOTES, ConsensusJudge
from llm_pytest.judging.parsing import InvalidVerdict, Verdict, excerpt, parse_verdict
from llm_pytest.judging.pricing import Price, cost_usd, parse_prices
from llm_pytest.judging.prompt import SYSTEM_PROMPT, JudgePrompt
from llm_pytest.judging.registry import (
    OFFLINE,
    create_provider,
    known_prices,
    no_judge_reason,
    resolve_provider,
)
from llm_pytest.judging.settings import Settings, float_setting, int_setting, str_setting
from llm_pytest.model.judge import VERDICT_SCHEMA, JudgeRequest, Provider, ProviderReply
from llm_pytest.model.plan import JudgePlan
from llm_pytest.model.trace import JudgeRecord, RunTrace
from llm_pytest.model.verdict import Judge, OfflineJudge

__all__ = ["ProviderJudge", "SessionJudge", "describe", "make_judge"]

_Builder = Callable[[str], Judge]

_SPEC_DEFAULT_CHARS = JudgePlan().max_result_chars


@dataclass
class _Spent:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None

    def add(
        self, reply: ProviderReply, model: str | None, prices: Sequence[Mapping[str, Price]]
    ) -> None:
        self.model = reply.model or model
        self.input_tokens += reply.input_tokens
        self.output_tokens += reply.output_tokens
        self.cost_usd += (
            reply.cost_usd
            if reply.cost_usd is not None
            else cost_usd(self.model, reply.input_tokens, reply.output_tokens, *prices)
        )


class ProviderJudge:
    """Judges runs with ``provider``.

    ``model`` (when set) wins over a spec's ``judge.model``, which wins over the provider's
    default. ``max_result_chars`` is the budget per step result unless the spec sets its own.
    ``cache_mode`` (auto/on/off) decides per run whether ``cache`` is used. ``prices``
    overrides the prices the providers declare (see
    :func:`~llm_pytest.judging.pricing.parse_prices`).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        model: str | None = None,
        template: str | Path | None = None,
        max_result_chars: int = _SPEC_DEFAULT_CHARS,
        cache: JudgeCache | None = None,
        cache_mode: str = "on",
        timeout: float = 120.0,
        max_retries: int = 3,
        prices: Mapping[str, Any] | str | None = None,
    ) -> None:
        cache_enabled(cache_mode, 1)  # reject a bad mode now, not at the first judgement
        self.provider = provider
        self.model = model
        self.prompt = JudgePrompt(template)
        self.max_result_chars = max_result_chars
        self.cache = cache
        self.cache_mode = cache_mode
        self.timeout = timeout
        self.max_retries = max_retries
        self.prices = parse_prices(prices)
        self._price_tables = (self.prices, known_prices())

    @property
    def name(self) -> str:
        return self.provider.name

    def model_for(self, spec: JudgePlan | None = None) -> str | None:
        """The model a spec's runs are judged with (None: the provider decides)."""
        spec_model = spec.model if spec is not None else None
        return self.model or spec_model or self.provider.default_model

    def request(self, trace: RunTrace, spec: JudgePlan) -> JudgeRequest:
        """The judge request for one run, its prompt rendered from the trace."""
        budget = spec.max_result_chars
        if budget == _SPEC_DEFAULT_CHARS:
            budget = self.max_result_chars
        return JudgeRequest(
            system=SYSTEM_PROMPT,
            prompt=self.prompt.render(trace, max_result_chars=budget),
            schema=VERDICT_SCHEMA,
            model=self.model_for(spec),
            timeout=self.timeout,
            max_retries=self.max_retries,
            test_name=trace.test_name,
            item_name=trace.item_name,
            iteration=trace.iteration,
            vote=spec.vote,
        )

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        started = time.perf_counter()
        request = self.request(trace, spec)
        # votes, like repeated runs, exist to sample the judge: `auto` asks it every time
        runs = trace.iterations if spec.vote == 0 else max(2, trace.iterations)
        cache = self.cache if cache_enabled(self.cache_mode, runs) else None
        key = cache_key(self.name, request.model, request)
        if cache is not None and (hit := cache.get(key)) is not None:
            return self._record(hit, _Spent(model=hit.model), started, cached=True)
        spent = _Spent(model=request.model)
        try:
            answer = await self._ask(request, spent)
        except ProviderConfigError:
            raise
        except ProviderError as exc:
            return self._failed(f"the judge could not answer: {exc}", spent, started)
        if isinstance(answer, _Invalid):
            return self._failed(
                "the judge's answer is not a valid verdict, even after one repair attempt: "
                f"{answer.error}; it answered: {_opening(answer.text)}",
                spent,
                started,
                raw_excerpt=excerpt(answer.text),
            )
        if cache is not None:
            cache.put(
                key,
                CachedVerdict(
                    verdict=answer.verdict,
                    reason=answer.reason,
                    model=spent.model,
                    steps=answer.steps,
                    issues=answer.issues,
                    input_tokens=spent.input_tokens,
                    output_tokens=spent.output_tokens,
                    cost_usd=spent.cost_usd,
                ),
            )
        return self._record(answer, spent, started)

    async def _ask(self, request: JudgeRequest, spent: _Spent) -> Verdict | _Invalid:
        reply = await self.provider.judge(request)
        spent.add(reply, request.model, self._price_tables)
        try:
            return parse_verdict(reply.text)
        except InvalidVerdict as exc:
            problem = str(exc)
        reply = await self.provider.judge(request.repaired(reply.text, problem))
        spent.add(reply, request.model, self._price_tables)
        try:
            return parse_verdict(reply.text)
        except InvalidVerdict as exc:
            return _Invalid(str(exc), reply.text)

    def _failed(
        self, reason: str, spent: _Spent, started: float, raw_excerpt: str | None = None
    ) -> JudgeRecord:
        """An UNCLEAR record for a judge that gave no verdict (see ``JudgeRecord.unclear``)."""
        record = self._record(Verdict("UNCLEAR", reason), spent, started, raw_excerpt=raw_excerpt)
        record.unclear = "judge_failed"
        return record

    def _record(
        self,
        answer: Verdict | CachedVerdict,
        spent: _Spent,
        started: float,
        *,
        raw_excerpt: str | None = None,
        cached: bool = False,
    ) -> JudgeRecord:
        return JudgeRecord(
            verdict=answer.verdict,
            unclear="undecided" if answer.verdict == "UNCLEAR" else None,
            reason=answer.reason,
            provider=self.name,
            model=spent.model,
            steps=answer.steps,
            issues=answer.issues,
            raw_excerpt=raw_excerpt,
            input_tokens=spent.input_tokens,
            output_tokens=spent.output_tokens,
            cost_usd=spent.cost_usd,
            latency_ms=_ms_since(started),
            cached=cached,
        )


def make_judge(
    name: str = "auto",
    *,
    model: str | None = None,
    settings: Settings | None = None,
    cache: JudgeCache | None = None,
    cache_mode: str = "auto",
    env: Mapping[str, str] | None = None,
) -> tuple[Judge, str]:
    """The judge for a session and a one-line description of it, e.g.
    ``judge: openai gpt-4.1-mini (auto: OPENAI_API_KEY is set)``.

    Settings (ini values, strings or typed) are the judge's own and its providers' (see
    :func:`~llm_pytest.judging.registry.setting_help`).
    Raises ProviderConfigError (the chosen judge cannot work) or UsageError (bad settings).
    """
    settings = settings or {}
    env = os.environ if env is None else env
    # Read before choosing, so a bad setting is reported whichever provider is chosen.
    template = str_setting(settings, "template")
    max_result_chars = int_setting(settings, "max_result_chars", 4000, minimum=100)
    timeout = float_setting(settings, "timeout", 120.0, minimum=0.001)
    max_retries = int_setting(settings, "max_retries", 3)
    prices = parse_prices(settings.get("prices"))
    votes = int_setting(settings, "votes", 1, minimum=1)
    if votes > MAX_VOTES:
        raise UsageError(f"judge setting `votes` must be at most {MAX_VOTES}, not {votes}")
    provider, why = resolve_provider(name, model=model, settings=settings, env=env)

    def build(p: Provider) -> Judge:
        if p.name == OFFLINE:
            return OfflineJudge(no_judge_reason())
        return ProviderJudge(
            p,
            model=model,
            template=template,
            max_result_chars=max_result_chars,
            cache=cache,
            cache_mode=cache_mode,
            timeout=timeout,
            max_retries=max_retries,
            prices=prices,
        )

    judge = build(provider)
    if name == "auto":
        judge = SessionJudge(
            provider.name,
            judge,
            lambda spec_name: build(create_provider(spec_name, settings=settings, env=env)),
        )
    description = describe(provider, model, why)
    if votes > 1:
        description += f", {votes} votes per run"
    return ConsensusJudge(judge, votes), description


def describe(provider: Provider, model: str | None, why: str) -> str:
    """The session-header line for a judge."""
    if provider.name == OFFLINE:
        return (
            f"judge: offline, natural-language expectations will be UNCLEAR ({why}; "
            "choose one with --llm-provider)"
        )
    shown = model or provider.default_model
    return f"judge: {provider.name}{f' {shown}' if shown else ''} ({why})"


class SessionJudge:
    """The session's judge, deferring to a spec's own ``judge.provider`` when it names one.

    Judges for other providers are made on first use; a provider that cannot be configured,
    or a name that is not registered, raises ProviderConfigError then.
    """

    def __init__(self, name: str, default: Judge, build: _Builder) -> None:
        self.name = name
        self.default = default
        self._build = build
        self._others: dict[str, Judge] = {}

    @property
    def wrapped(self) -> Judge:
        """The judge every run is handed on to."""
        return self.default

    async def __call__(self, trace: RunTrace, spec: JudgePlan) -> JudgeRecord:
        wanted = spec.provider
        if not wanted or wanted in (self.name, "auto"):
            return await self.default(trace, spec)
        judge = self._others.get(wanted)
        if judge is None:
            try:
                judge = self._others[wanted] = self._build(wanted)
            except UsageError as exc:
                raise ProviderConfigError(f"{trace.spec_path}: judge.provider: {exc}") from None
        return await judge(trace, spec)


@dataclass(frozen=True, slots=True)
class _Invalid:
    """An answer that stayed invalid after the repair attempt."""

    error: str
    text: str


def _opening(text: str, limit: int = 100) -> str:
    """The start of an answer on one line, quoted, for a reason (the report has more)."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
