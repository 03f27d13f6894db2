"""POSTing JSON to an LLM API with a per-attempt timeout and bounded retries.

Retried: timeouts, connection failures, 408/409/429 and 5xx answers, and bodies that are not
JSON; the wait between attempts is the server's ``Retry-After`` when it sends one, else an
exponential backoff. 401/403/404 and an exhausted quota raise ProviderConfigError at once (they
would fail every run the same way); other 4xx answers raise :class:`BadRequest`.
"""

from __future__ import annotations

import email.utils
import functools
import itertools
import random
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
import httpx

from llm_pytest.errors import ProviderConfigError, ProviderError

__all__ = ["BadRequest", "FormatLadder", "RetryPolicy", "post_json"]

_EXCERPT = 500
_RETRIED_STATUS = frozenset({408, 409, 429})
Format = TypeVar("Format", bound=str)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one attempt may take and how often to try again."""

    timeout: float = 120.0
    max_retries: int = 3
    base_delay: float = 0.5
    """First backoff in seconds; doubled after each failed attempt."""
    max_delay: float = 60.0
    """The longest wait accepted between attempts; a longer ``Retry-After`` ends the retries."""

    def backoff(self, attempt: int) -> float:
        # Jitter spreads concurrent runs that failed together over the wait.
        return float(min(self.max_delay, self.base_delay * 2**attempt * random.uniform(0.5, 1.0)))


class BadRequest(ProviderError):
    """The API refused the request itself (a 4xx other than auth and not-found)."""

    def __init__(self, service: str, status: int, detail: str) -> None:
        super().__init__(f"{service} refused the request (HTTP {status}): {detail}")
        self.status = status
        self.detail = detail


def error_detail(response: httpx.Response) -> str:
    """The API's error message when it sends one in the usual JSON shapes, else a body excerpt."""
    try:
        data = response.json()
    except ValueError:
        return _excerpt(response.text) or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return _excerpt(error["message"])
    if isinstance(error, str):
        return _excerpt(error)
    return _excerpt(response.text)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait (``retry-after-ms`` or ``Retry-After``), if any."""
    millis = response.headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


async def post_json(
    url: str,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    policy: RetryPolicy,
    service: str,
    auth_hint: str,
) -> Any:
    """POST ``body`` and return the decoded JSON answer, retrying transient faults.

    ``service`` names the API in messages; ``auth_hint`` says how to fix a rejected key.
    Raises ProviderConfigError, BadRequest, or ProviderError once the retries are spent.
    """
    attempts = policy.max_retries + 1
    problem = ""
    # A client per call: clients hold connections bound to the event loop that made them, and
    # pytest items may each run in a loop of their own. The TLS context is what costs to build
    # (~35 ms), so it is shared.
    async with httpx.AsyncClient(timeout=policy.timeout, verify=_tls_context()) as client:
        for attempt in range(attempts):
            wait: float | None = None
            try:
                with anyio.fail_after(policy.timeout):
                    response = await client.post(url, json=body, headers=dict(headers))
            except (TimeoutError, httpx.TimeoutException):
                problem = f"no answer within {policy.timeout:g}s"
            except httpx.TransportError as exc:
                problem = f"cannot reach {url}: {exc or type(exc).__name__}"
            else:
                status = response.status_code
                if status < 400:
                    try:
                        return response.json()
                    except ValueError:
                        problem = f"the answer is not JSON: {_excerpt(response.text)!r}"
                else:
                    _raise_if_final(response, url, service, auth_hint)
                    problem = f"HTTP {status}: {error_detail(response)}"
                    wait = retry_after(response)
            if attempt == attempts - 1:
                break
            if wait is None:
                wait = policy.backoff(attempt)
            elif wait > policy.max_delay:
                raise ProviderError(
                    f"{service}: {problem}; the server asks to retry after {wait:g}s, "
                    f"longer than the {policy.max_delay:g}s we wait"
                )
            await anyio.sleep(wait)
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    raise ProviderError(f"{service}: {problem} ({tries})")


class FormatLadder(Generic[Format]):
    """The output formats an API is asked for, best first.

    A request the server refuses for its format (a :class:`BadRequest` whose detail matches
    ``refusal``) is sent again in the next format, and the format it accepts is kept for the
    ladder's lifetime, so later requests do not ask again.
    """

    def __init__(self, formats: Sequence[Format], refusal: re.Pattern[str]) -> None:
        self.current: Format = formats[0]
        self._lower: dict[Format, Format] = dict(itertools.pairwise(formats))
        self._refusal = refusal

    async def post(
        self,
        url: str,
        body: Callable[[Format], Mapping[str, Any]],
        *,
        headers: Mapping[str, str],
        policy: RetryPolicy,
        service: str,
        auth_hint: str,
    ) -> Any:
        """:func:`post_json` of ``body(format)``, one format lower each time it is refused."""
        while True:
            fmt = self.current
            try:
                return await post_json(
                    url,
                    body(fmt),
                    headers=headers,
                    policy=policy,
                    service=service,
                    auth_hint=auth_hint,
                )
            except BadRequest as exc:
                lower = self._lower.get(fmt)
                if lower is None or not self._refusal.search(exc.detail):
                    raise
                self.current = lower


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def _raise_if_final(response: httpx.Response, url: str, service: str, auth_hint: str) -> None:
    status = response.status_code
    detail = error_detail(response)
    if status in (401, 403):
        raise ProviderConfigError(
            f"{service} rejected the credentials (HTTP {status} from {url}): {detail}. {auth_hint}"
        )
    if status == 404:
        raise ProviderConfigError(
            f"{service} answered 404 Not Found from {url}: {detail}. "
            "Check the model name (--llm-model) and the base URL."
        )
    if status == 429 and _code(response) == "insufficient_quota":
        raise ProviderConfigError(f"{service} has no quota left (HTTP 429): {detail}")
    if 400 <= status < 500 and status not in _RETRIED_STATUS:
        raise BadRequest(service, status, detail)


def _code(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"
