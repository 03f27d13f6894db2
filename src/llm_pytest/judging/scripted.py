"""The ``scripted`` provider: verdicts written in advance, for testing specs and their reports
without an LLM.

A script is a YAML/JSON file (ini ``llm_judge_script``) holding either

- a list of verdicts, handed out in call order to whichever run is judged next; or
- a mapping from item name (``test[experiment]``), test name or ``"*"`` (any other test) to a
  verdict, which answers every run, or to a list of verdicts handed out in call order.

A verdict is ``PASS``, ``FAIL`` or ``UNCLEAR``, or a mapping with ``verdict`` and optionally
``reason``, ``steps``, ``issues`` and usage to report (``input_tokens``, ``output_tokens``,
``cost_usd``); ``{raw: "text"}`` answers that text as it is (to see how an unparseable answer is
reported). The script may instead name a Python function, ``package.module:function`` or
``path/to/file.py:function``, that takes the :class:`~llm_pytest.model.judge.JudgeRequest`
and returns such a verdict (or raw answer text), directly or awaited.

Every call takes the next entry, and an answer that is not a valid verdict gets one repair
attempt, which is a call too: after a ``{raw: ...}`` entry the judge's repair takes the entry
that follows it, so script the repaired answer (or a second raw one) right after it. Each vote
of a consensus (``judge.votes``) is a call of its own, so a list scripts the votes in turn; a
function can tell them apart by ``request.vote`` (1..K).

**Sampling** (an MCP server declared with ``sampling: judge``): the mapping form may hold the
key ``sampling``, the replies to the servers' sampling requests: one text answering every
request, or a list of texts handed out in request order. A reply may also be a mapping with
``text`` and optionally ``model``, ``input_tokens``, ``output_tokens`` and ``cost_usd``. Name no
test ``sampling`` then. A script function is called with a
:class:`~llm_pytest.model.judge.CompletionRequest` for a sampling request and returns the
reply text (or such a mapping).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from llm_pytest.errors import ProviderConfigError, ProviderError
from llm_pytest.judging.parsing import schema_problem
from llm_pytest.judging.settings import Settings, str_setting
from llm_pytest.model.judge import CompletionRequest, JudgeRequest, ProviderReply

__all__ = ["ScriptedProvider", "load_script"]

VERDICTS = ("PASS", "FAIL", "UNCLEAR")
_USAGE_KEYS = ("input_tokens", "output_tokens", "cost_usd")
_ANY_TEST = "*"
SAMPLING_KEY = "sampling"
"""The key of a mapping script that holds the replies to MCP sampling requests."""

ScriptFunction = Callable[[Any], Any]
"""Called with a JudgeRequest (a verdict) or a CompletionRequest (a sampling reply)."""
Script = Sequence[Any] | Mapping[str, Any] | ScriptFunction


class ScriptedProvider:
    """Answers from a script (see the module docstring); costs nothing unless the script says."""

    name = "scripted"
    default_model: str | None = None

    def __init__(self, script: Script, *, source: str = "the script") -> None:
        self.source = source
        self._function: ScriptFunction | None = None
        self._queues: dict[str | None, list[ProviderReply]] = {}
        self._scripted: dict[str | None, int] = {}
        """How many entries each queue had, to say so when one runs out."""
        self._fixed: dict[str, ProviderReply] = {}
        self._sampling: list[ProviderReply] | None = None
        self._sampling_fixed: ProviderReply | None = None
        self._sampling_scripted = 0
        if callable(script):
            self._function = script
        elif isinstance(script, Mapping):
            if SAMPLING_KEY in script:
                script = dict(script)
                self._load_sampling(script.pop(SAMPLING_KEY), f"{source}, `{SAMPLING_KEY}`")
            for key, value in script.items():
                where = f"{source}, `{key}`"
                if isinstance(value, list):
                    self._queues[str(key)] = [
                        _entry(v, f"{where}[{i}]") for i, v in enumerate(value)
                    ]
                    self._scripted[str(key)] = len(value)
                else:
                    self._fixed[str(key)] = _entry(value, where)
        elif isinstance(script, Sequence) and not isinstance(script, str):
            self._queues[None] = [_entry(v, f"{source}[{i}]") for i, v in enumerate(script)]
            self._scripted[None] = len(script)
        else:
            raise ProviderConfigError(
                f"{source}: a script is a list of verdicts, a mapping from test names to "
                f"verdicts, or a function; got {type(script).__name__}"
            )

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> ScriptedProvider:
        """Loaded from the setting ``script``: a file path or ``module:function``."""
        source = str_setting(settings, "script")
        if source is None:
            raise ProviderConfigError(
                "the scripted judge needs a script: set ini llm_judge_script to a YAML/JSON file "
                "of verdicts or to `module:function`"
            )
        return cls(load_script(source), source=source)

    async def judge(self, request: JudgeRequest) -> ProviderReply:
        if self._function is not None:
            return await self._call(request)
        return self._next(request)

    async def complete(self, request: CompletionRequest) -> ProviderReply:
        """The next reply of the script's ``sampling`` entry (or the function's answer)."""
        if self._function is not None:
            try:
                value = self._function(request)
                if inspect.isawaitable(value):
                    value = await value
            except Exception as exc:
                raise ProviderError(
                    f"the scripted judge function {self.source} raised {type(exc).__name__}: {exc}"
                ) from exc
            return _sampled(value, f"the scripted judge function {self.source}", ProviderError)
        if self._sampling_fixed is not None:
            return self._sampling_fixed
        if self._sampling is None:
            raise ProviderConfigError(
                f"{self.source} has no `{SAMPLING_KEY}` replies for the MCP server's sampling "
                f"request; write the script as a mapping with a `{SAMPLING_KEY}:` text or list "
                "of texts (see docs/mcp-protocol.md)"
            )
        if not self._sampling:
            n = self._sampling_scripted
            raise ProviderError(
                f"{self.source}: every `{SAMPLING_KEY}` reply has been used ({n} "
                f"entr{'y' if n == 1 else 'ies'}); add more, or give a single text (not a list) "
                "to answer every request with it"
            )
        return self._sampling.pop(0)

    def _load_sampling(self, value: Any, where: str) -> None:
        if isinstance(value, list):
            self._sampling = [
                _sampled(v, f"{where}[{i}]", ProviderConfigError) for i, v in enumerate(value)
            ]
            self._sampling_scripted = len(value)
        else:
            self._sampling_fixed = _sampled(value, where, ProviderConfigError)

    def _next(self, request: JudgeRequest) -> ProviderReply:
        for key in (request.item_name, request.test_name, _ANY_TEST):
            if key in self._fixed:
                return self._fixed[key]
            if key in self._queues:
                return self._pop(key, f"`{key}`", request)
        if None in self._queues:
            return self._pop(None, "the list", request)
        known = ", ".join(f"`{k}`" for k in [*self._fixed, *self._queues] if k is not None)
        raise ProviderError(
            f"{self.source} has no verdict for `{request.item_name}` (it has {known or 'none'}); "
            f'add one, or a "{_ANY_TEST}" entry for every other test'
        )

    def _pop(self, key: str | None, label: str, request: JudgeRequest) -> ProviderReply:
        queue = self._queues[key]
        if queue:
            return queue.pop(0)
        n = self._scripted[key]
        asking = "a repair attempt of " if request.repair is not None else ""
        raise ProviderError(
            f"{self.source}: every verdict of {label} has been used ({n} "
            f"entr{'y' if n == 1 else 'ies'}) when {asking}run {request.iteration} of "
            f"`{request.item_name}` asked for one; add more (the repair attempt after an "
            "unparseable answer takes an entry too), or give a single verdict (not a list) to "
            "answer every run with it"
        )

    async def _call(self, request: JudgeRequest) -> ProviderReply:
        assert self._function is not None
        try:
            value = self._function(request)
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            raise ProviderError(
                f"the scripted judge function {self.source} raised {type(exc).__name__}: {exc}"
            ) from exc
        return _answer(value)


def load_script(source: str | Path, base: Path | None = None) -> Script:
    """Read a script file, or import ``module:function`` / ``file.py:function``.

    Relative paths are taken from ``base`` (default: the current directory).
    """
    text = str(source)
    root = base or Path.cwd()
    if ":" in text and not Path(root, text).is_file():
        return _import_function(text, root)
    path = Path(root, text)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProviderConfigError(f"cannot read the judge script {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ProviderConfigError(
            f"the judge script {path} is not valid YAML/JSON: {exc}"
        ) from None
    if not isinstance(data, list | dict):
        raise ProviderConfigError(
            f"the judge script {path} must hold a list of verdicts or a mapping from test names "
            "to verdicts"
        )
    return data


def _import_function(spec: str, root: Path) -> ScriptFunction:
    module_name, _, attr = spec.rpartition(":")
    try:
        if module_name.endswith(".py"):
            path = Path(root, module_name)
            loader_spec = importlib.util.spec_from_file_location(path.stem, path)
            if loader_spec is None or loader_spec.loader is None or not path.is_file():
                raise ImportError(f"no such file: {path}")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except Exception as exc:
        raise ProviderConfigError(
            f"cannot import the judge script `{spec}`: {type(exc).__name__}: {exc}"
        ) from exc
    function = getattr(module, attr, None)
    if not callable(function):
        raise ProviderConfigError(f"the judge script `{spec}` names no function `{attr}`")
    return function  # type: ignore[no-any-return]


def _entry(value: Any, where: str) -> ProviderReply:
    """A script entry as a reply, checked now so a typo is reported before any test runs."""
    if isinstance(value, dict) and set(value) == {"raw"} and isinstance(value["raw"], str):
        return ProviderReply(text=value["raw"], model="scripted")
    if isinstance(value, str):
        if value.strip().upper() not in VERDICTS:
            raise ProviderConfigError(
                f"{where}: `{value}` is not a verdict; write PASS, FAIL or UNCLEAR, a mapping "
                "with `verdict` and `reason`, or {raw: ...}"
            )
    elif isinstance(value, dict):
        verdict = {k: v for k, v in value.items() if k not in _USAGE_KEYS}
        problem = schema_problem(_defaults(verdict))
        if problem is not None:
            raise ProviderConfigError(f"{where}: not a verdict: {problem}")
    else:
        raise ProviderConfigError(
            f"{where}: a verdict is PASS, FAIL, UNCLEAR or a mapping, not {type(value).__name__}"
        )
    return _answer(value)


def _answer(value: Any) -> ProviderReply:
    """A scripted verdict (or raw answer text) as the reply the judge will parse."""
    if isinstance(value, str):
        word = value.strip().upper()
        if word in VERDICTS:
            return _verdict_reply({"verdict": word})
        return ProviderReply(text=value, model="scripted")
    if isinstance(value, dict):
        if set(value) == {"raw"} and isinstance(value["raw"], str):
            return ProviderReply(text=value["raw"], model="scripted")
        return _verdict_reply(value)
    raise ProviderError(
        f"the scripted judge returned {type(value).__name__}; return PASS, FAIL, UNCLEAR, "
        "a verdict mapping, or answer text"
    )


def _verdict_reply(value: Mapping[str, Any]) -> ProviderReply:
    verdict = _defaults({k: v for k, v in value.items() if k not in _USAGE_KEYS})
    cost = value.get("cost_usd")
    return ProviderReply(
        text=json.dumps(verdict),
        input_tokens=int(value.get("input_tokens") or 0),
        output_tokens=int(value.get("output_tokens") or 0),
        cost_usd=float(cost) if cost is not None else 0.0,
        model="scripted",
    )


def _sampled(value: Any, where: str, error: type[ProviderError]) -> ProviderReply:
    """A scripted sampling reply: a text, or a mapping with ``text`` (and usage, ``model``)."""
    if isinstance(value, str):
        return ProviderReply(text=value, model="scripted", cost_usd=0.0)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        unknown = set(value) - {"text", "model", *_USAGE_KEYS}
        if not unknown:
            cost = value.get("cost_usd")
            return ProviderReply(
                text=value["text"],
                input_tokens=int(value.get("input_tokens") or 0),
                output_tokens=int(value.get("output_tokens") or 0),
                cost_usd=float(cost) if cost is not None else 0.0,
                model=str(value.get("model") or "scripted"),
            )
    raise error(
        f"{where}: a sampling reply is a text or a mapping with `text` (and optionally `model`, "
        f"`input_tokens`, `output_tokens`, `cost_usd`), not {value!r}"
    )


def _defaults(verdict: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(verdict)
    if isinstance(out.get("verdict"), str):
        out["verdict"] = out["verdict"].strip().upper()
        out.setdefault("reason", f"scripted verdict {out['verdict']}")
    out.setdefault("steps", [])
    out.setdefault("issues", [])
    return out
