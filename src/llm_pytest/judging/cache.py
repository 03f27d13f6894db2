"""The judge cache (docs/language.md §11): a verdict is reused only for an identical judge request.

The key is a hash of the provider, the model and the full request (system text, prompt, verdict
schema), so a different trace, template or model never hits. Only parsed verdicts are stored,
never a failure. Files are written to a temporary name and renamed into place, so concurrent
writers (pytest-xdist workers) never leave a torn entry behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llm_pytest.errors import UsageError
from llm_pytest.model.judge import JudgeRequest
from llm_pytest.model.trace import Outcome

__all__ = ["CACHE_MODES", "CachedVerdict", "JudgeCache", "cache_enabled", "cache_key"]

CACHE_VERSION = 1
"""Bumped whenever the prompt's meaning or the stored entry's shape changes."""
CACHE_MODES = ("auto", "on", "off")


def cache_enabled(mode: str, iterations: int) -> bool:
    """``--llm-cache``: ``on``/``off``, or ``auto`` = on only for a single iteration (repeats
    exist to measure variance, so they must reach the LLM)."""
    if mode == "auto":
        return iterations == 1
    if mode in ("on", "off"):
        return mode == "on"
    raise UsageError(f"--llm-cache must be one of auto, on, off; not {mode!r}")


def cache_key(provider: str, model: str | None, request: JudgeRequest) -> str:
    parts = [CACHE_VERSION, provider, model, request.system, request.prompt, request.schema]
    if request.vote:
        parts.append(request.vote)  # each vote of a consensus is an answer of its own
    material = json.dumps(
        parts,
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedVerdict:
    """A stored verdict with what it cost when it was first asked for."""

    verdict: Outcome
    reason: str
    model: str | None
    steps: list[dict[str, Any]] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class JudgeCache:
    """Verdicts stored as JSON files under ``directory`` (pytest's cache dir in a session)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedVerdict | None:
        """The stored verdict, or None (also for an unreadable or foreign entry)."""
        try:
            entry = CachedVerdict(**json.loads(self._path(key).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        return entry if entry.verdict in ("PASS", "FAIL", "UNCLEAR") else None

    def put(self, key: str, entry: CachedVerdict) -> None:
        """Store ``entry``; a cache that cannot be written is skipped (it only saves calls)."""
        path = self._path(key)
        data = json.dumps(asdict(entry), ensure_ascii=False)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
