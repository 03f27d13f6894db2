"""The session's judge answering MCP servers' sampling requests (``sampling: judge``).

:class:`JudgeSampler` is the :class:`~llm_pytest.tools.mcp.sampling.SamplingAnswerer` the
session hands down to its MCP clients. It asks the provider of the session's judge for a plain
text completion (``Provider.complete``: openai, anthropic and scripted have it), with the
judge's model, timeout, retries and price table. No provider (an offline session), a provider
without completions (claude-code, local) or one that cannot work as configured raise
:class:`~llm_pytest.tools.mcp.sampling.SamplingUnavailable`, which fails the step that caused
the request; any other failure is this request's alone and goes back to the server as an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from llm_pytest.errors import ProviderConfigError
from llm_pytest.judging.judge import ProviderJudge
from llm_pytest.judging.offline import NO_SAMPLING_JUDGE
from llm_pytest.judging.pricing import cost_usd
from llm_pytest.judging.registry import known_prices
from llm_pytest.model.judge import CompletionRequest, ProviderReply
from llm_pytest.model.verdict import Judge, WrappingJudge
from llm_pytest.tools.mcp.sampling import SampledText, SamplingUnavailable

__all__ = ["JudgeSampler", "provider_judge"]


def provider_judge(judge: Judge | None) -> ProviderJudge | None:
    """The :class:`ProviderJudge` the session's ``judge`` asks in the end, through the judges
    wrapped around it (None: there is none, as in an offline session)."""
    while isinstance(judge, WrappingJudge):
        judge = judge.wrapped
    return judge if isinstance(judge, ProviderJudge) else None


class JudgeSampler:
    """Answers sampling requests with the provider of the session's ``judge``."""

    def __init__(self, judge: Judge | None) -> None:
        self.judge = provider_judge(judge)

    async def answer(
        self,
        messages: Sequence[dict[str, str]],
        *,
        system_prompt: str | None,
        max_tokens: int,
        temperature: float | None = None,
        stop_sequences: Sequence[str] = (),
    ) -> SampledText:
        """The judge LLM's reply to the messages (see the module docstring for failures)."""
        judge = self.judge
        if judge is None:
            raise SamplingUnavailable(NO_SAMPLING_JUDGE)
        provider = judge.provider
        complete = getattr(provider, "complete", None)
        if complete is None:
            raise SamplingUnavailable(
                f"the {provider.name} judge cannot answer sampling requests (it only gives "
                "verdicts); choose openai, anthropic or scripted with --llm-provider, or script "
                "the reply"
            )
        request = CompletionRequest(
            messages=tuple(messages),
            system=system_prompt,
            max_tokens=max_tokens,
            model=judge.model_for(None),
            temperature=temperature,
            stop_sequences=tuple(stop_sequences),
            timeout=judge.timeout,
            max_retries=judge.max_retries,
        )
        try:
            reply: ProviderReply = await complete(request)
        except ProviderConfigError as exc:
            raise SamplingUnavailable(f"the {provider.name} judge: {exc}") from None
        model = reply.model or request.model or provider.name
        cost = reply.cost_usd
        if cost is None:
            tables = (judge.prices, known_prices())
            cost = cost_usd(model, reply.input_tokens, reply.output_tokens, *tables)
        return SampledText(
            text=reply.text,
            model=model,
            stop_reason=reply.stop_reason or "endTurn",
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            cost_usd=cost,
        )
