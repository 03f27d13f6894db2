"""Redaction of secrets in recorded values (docs/running.md, "What is redacted").

A secret is the value of an environment variable with a secret-looking name, or the password
of a URL held in any variable. Each secret is replaced in its plain, URL-encoded and base64
forms; the values of credential-carrying headers (``Authorization``, ``Cookie`` …) are
replaced whatever they hold, so a literal token written in a spec is not recorded either.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

__all__ = ["DEFAULT_SECRET_NAMES", "REDACTED", "SECRET_HEADERS", "Redactor", "secret_names"]

REDACTED = "[REDACTED]"

DEFAULT_SECRET_NAMES = (
    r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|COOKIE|BEARER",
    # Short words count only as words of the name: GITHUB_PAT but not PATH, DB_PASS but not
    # BYPASS, MYSQL_PWD but not the shell's PWD (the working directory is in every path).
    r"(?<![A-Z])PASS",
    r"(?<![A-Z])(?:PAT|DSN)(?![A-Z])",
    r"(?<=[^A-Z])PWD(?![A-Z])",
    r"(?<![A-Z])O?AUTH(?!ORS?(?![A-Z]))",
)
"""Patterns of secret variable names, searched case-insensitively."""

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
"""Mapping keys (compared case-insensitively) whose values are always redacted."""

_MIN_SECRET = 4
"""Shorter values are not redacted: replacing every "on" or "1" would garble the output."""
_MIN_BASE64_CORE = 6
"""The shortest run of base64 characters that stands for a secret inside a longer encoding."""


def secret_names(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """The name pattern: the defaults and ``extra`` regular expressions (``re.error`` if one
    is not a valid expression)."""
    return re.compile("|".join(f"(?:{p})" for p in (*DEFAULT_SECRET_NAMES, *extra)), re.I)


class Redactor:
    """Replaces secrets from ``env`` wherever they appear in a value (strings, and the keys and
    items of dicts and lists), and the values of :data:`SECRET_HEADERS`."""

    def __init__(self, env: Mapping[str, str], names: Iterable[str] = ()) -> None:
        pattern = secret_names(names)
        forms = {form for value in _secrets(env, pattern) for form in _encodings(value)}
        self._pattern = re.compile(_alternation(forms)) if forms else None

    def __call__(self, value: Any) -> Any:
        return self._redact(value, True)

    def secrets_only(self, value: Any) -> Any:
        """``value`` with the secrets replaced but header values kept: for what must be sent
        as the spec wrote it (the agent's prompt)."""
        return self._redact(value, False)

    def _redact(self, value: Any, headers: bool) -> Any:
        if isinstance(value, str):
            return self._pattern.sub(REDACTED, value) if self._pattern else value
        if isinstance(value, dict):
            return {
                self._redact(k, headers): _blank(v)
                if headers and _is_secret_header(k)
                else self._redact(v, headers)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._redact(v, headers) for v in value]
        return value


def _alternation(words: Iterable[str]) -> str:
    """A regular expression matching the longest of ``words`` at each place, written as a
    prefix tree: a flat alternation would try every encoded form of every secret at every
    character of every recorded text (about three times slower with a few secrets)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _subtree(tree)


def _subtree(node: dict[str, Any]) -> str:
    run = ""
    while len(node) == 1 and "" not in node:  # a chain of single children is one literal
        [(char, node)] = node.items()
        run += re.escape(char)
    branches = [re.escape(char) + _subtree(child) for char, child in node.items() if char]
    if not branches:
        return run
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return run + (f"(?:{body})?" if "" in node else body)


def _is_secret_header(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_HEADERS


def _blank(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [REDACTED for _ in value]
    return REDACTED


def _secrets(env: Mapping[str, str], names: re.Pattern[str]) -> Iterator[str]:
    for name, value in env.items():
        if names.search(name) and len(value) >= _MIN_SECRET:
            yield value
        if "://" in value and "@" in value:
            yield from _url_secrets(value)


def _url_secrets(url: str) -> Iterator[str]:
    """The password of ``url`` as written and decoded, and its ``user:password`` (whose base64
    is a Basic credential). A short password is redacted with its user, as ``user:pw``."""
    try:
        parts = urlsplit(url)
        password, user = parts.password, parts.username or ""
    except ValueError:
        return
    if not password:
        return
    for pw, name in {(password, user), (unquote(password), unquote(user))}:
        if len(pw) >= _MIN_SECRET:
            yield pw
        if len(pw) + len(name) + 1 >= _MIN_SECRET:
            yield f"{name}:{pw}"


def _encodings(value: str) -> set[str]:
    """``value`` as written, URL-encoded and base64-encoded (alone, or inside a longer text)."""
    forms = {value, quote(value), quote(value, safe=""), quote_plus(value)}
    data = value.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        forms |= {whole, whole.rstrip("=")}
        forms |= {core for core in _base64_cores(data, encode) if len(core) >= _MIN_BASE64_CORE}
    return forms


def _base64_cores(data: bytes, encode: Callable[[bytes], bytes]) -> Iterator[str]:
    """For each of the three alignments ``data`` can have inside a longer text, the base64
    characters that only its bytes determine: what any encoding of such a text contains."""
    for offset in range(3):
        encoded = encode(b"\0" * offset + data).decode()
        first = -(-8 * offset // 6)
        last = 8 * (offset + len(data)) // 6
        yield encoded[first:last]
