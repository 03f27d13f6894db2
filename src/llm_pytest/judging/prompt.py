"""The judge prompt: a Jinja2 template rendered in a sandbox from a run's trace alone.

The packaged template is ``templates/judge_prompt.md.j2``; ini ``llm_judge_template`` names
another. Its context holds only plain data:

- ``test``: ``name``, ``item``, ``experiment``, ``iteration``, ``description``, ``path``
- ``steps``: one mapping per step record: ``id``, ``label``, ``phase``, ``tool``, ``status``,
  ``attempts``, ``note``, ``loop``, ``continue_on_error``, ``has_data``, ``args`` and ``result``
  (text, cut to the result budget), ``args_note``/``result_note`` (set when cut),
  ``result_lang``, ``error``, ``checks`` (``expression``, ``passed``, ``observed``, ``error``),
  ``expect``, ``analyze``
- ``elided_steps``: how many step records were kept without data
- ``verdict``: ``pass_if``, ``fail_if`` (or None)
- ``schema``: the verdict JSON Schema as text; ``max_result_chars``

and one filter, ``fenced(lang)``, which wraps text in a Markdown fence longer than any run of
backticks inside it.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from llm_pytest.errors import ProviderConfigError
from llm_pytest.model.judge import VERDICT_SCHEMA
from llm_pytest.model.trace import RunTrace, StepRecord

__all__ = ["DEFAULT_TEMPLATE", "SYSTEM_PROMPT", "JudgePrompt", "fenced"]

DEFAULT_TEMPLATE = "judge_prompt.md.j2"
SYSTEM_PROMPT = (
    "You are a meticulous judge of software test runs. You never run tools; you judge the "
    "recorded evidence you are given and answer with a single JSON object."
)
_BACKTICKS = re.compile(r"`{3,}")


def fenced(text: Any, lang: str = "") -> str:
    """``text`` in a Markdown code fence that nothing inside it can close."""
    body = str(text)
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


class JudgePrompt:
    """A compiled judge template. A template that does not compile, or that tries something
    the sandbox forbids, is a ProviderConfigError naming the file."""

    def __init__(self, template: str | Path | None = None) -> None:
        if template is None:
            self.source_name = f"<packaged {DEFAULT_TEMPLATE}>"
            text = (
                resources.files("llm_pytest.judging")
                .joinpath("templates", DEFAULT_TEMPLATE)
                .read_text(encoding="utf-8")
            )
        else:
            self.source_name = str(template)
            try:
                text = Path(template).read_text(encoding="utf-8")
            except OSError as exc:
                raise ProviderConfigError(
                    f"cannot read the judge template {template}: {exc.strerror}"
                ) from None
        env = SandboxedEnvironment(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["fenced"] = fenced
        try:
            self._template = env.from_string(text)
        except jinja2.TemplateSyntaxError as exc:
            raise ProviderConfigError(
                f"{self.source_name}:{exc.lineno}: the judge template does not compile: "
                f"{exc.message}"
            ) from None

    def render(self, trace: RunTrace, *, max_result_chars: int) -> str:
        """The prompt for judging ``trace``."""
        context = prompt_context(trace, max_result_chars)
        try:
            return self._template.render(context)
        except jinja2.TemplateError as exc:
            # SecurityError (the sandbox refusing an attribute) and undefined names land here.
            raise ProviderConfigError(
                f"{self.source_name}: the judge template failed: {type(exc).__name__}: {exc}"
            ) from None


def prompt_context(trace: RunTrace, max_result_chars: int) -> dict[str, Any]:
    """The data a judge template sees (documented in the module docstring). Every text is the
    one the run rendered, so a ``${...}`` reading a saved result shows its value."""
    verdict = None
    if trace.verdict is not None:
        verdict = {"pass_if": trace.verdict.get("pass_if"), "fail_if": trace.verdict.get("fail_if")}
    return {
        "test": {
            "name": trace.test_name,
            "item": trace.item_name,
            "experiment": trace.experiment,
            "iteration": trace.iteration,
            "description": trace.description,
            "path": trace.spec_path,
        },
        "steps": [_step_context(s, max_result_chars) for s in trace.steps],
        "elided_steps": trace.elided_steps,
        "verdict": verdict,
        "schema": json.dumps(VERDICT_SCHEMA, ensure_ascii=False),
        "max_result_chars": max_result_chars,
    }


def _step_context(step: StepRecord, budget: int) -> dict[str, Any]:
    has_data = step.kind == "tool" and step.status in ("passed", "failed")
    args, args_note = _cut(_as_text(step.args), budget, "arguments")
    result, result_note = _cut(_as_text(step.result), budget, "result")
    error, _ = _cut(step.error or "", budget, "error")
    return {
        "id": step.id,
        "label": step.label,
        "phase": step.phase,
        "kind": step.kind,
        "tool": step.tool,
        "status": step.status,
        "attempts": len(step.attempts),
        "note": step.note,
        "loop": json.dumps(step.loop, ensure_ascii=False, default=str) if step.loop else "",
        "continue_on_error": step.continue_on_error,
        "has_data": has_data,
        "args": args,
        "args_note": args_note,
        "result": result,
        "result_note": result_note,
        "result_lang": "text" if isinstance(step.result, str) else "json",
        "error": error,
        "checks": [
            {
                "expression": c.expression,
                "passed": c.passed,
                "observed": ", ".join(f"{name} = {value}" for name, value in c.values),
                "error": c.error,
            }
            for c in step.checks
        ],
        "expect": step.expect,
        "analyze": step.analyze,
    }


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _cut(text: str, budget: int, what: str) -> tuple[str, str | None]:
    if len(text) <= budget:
        return text, None
    return text[:budget], (
        f"[{what} truncated: showing the first {budget} of {len(text)} characters]"
    )
