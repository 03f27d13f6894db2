"""Is an ``expect`` too vague for a judge to verify? (the README's "Request should complete")

An expectation is vague when it is short, names nothing concrete (no number, no ``${...}``, no
noun beyond generic ones such as "request" or "response") and only says that the step
succeeded: "complete", "succeed", "work", "return", "ok", "no error". A judge can answer such a
text from the step's status alone, so it learns nothing from the result.
"""

from __future__ import annotations

import re

__all__ = ["is_vague"]

MAX_WORDS = 8


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SUCCESS = _words(
    "complete completes completed completing succeed succeeds succeeded success successful "
    "successfully work works worked working return returns returned ok okay fine pass passes "
    "passed done finish finishes finished run runs execute executes executed respond responds "
    "responded go goes went"
)
_FAILURE = _words(
    "error errors fail fails failed failure failures exception exceptions crash crashes "
    "problem problems issue issues"
)
_NEGATION = _words("no not without never none nothing dont doesnt cannot")
_GENERIC = _words(
    "a an the it its this that these those there should must will would can could may might "
    "be is are was were been being has have had do does did to and or of in on for at by as "
    "with from any all some just also then well properly correctly correct expected valid "
    "good right everything something anything request requests response responses call calls "
    "operation operations step steps tool tools action actions command commands query queries "
    "api endpoint result results data output value values status process processing task job "
    "quickly fast eventually"
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d")


def is_vague(text: str) -> bool:
    """Whether ``text`` only asks that a step succeeds (see the module docstring)."""
    if "${" in text:
        return False
    words = _WORD.findall(text.lower())
    if not words or len(words) > MAX_WORDS:
        return False
    negated = False
    says_success = False
    for word in words:
        if word.isdigit():
            return False
        if word in _NEGATION or word.endswith("n't"):
            negated = True
        elif word in _SUCCESS:
            says_success = True
        elif word in _FAILURE:
            says_success = says_success or negated
        elif word not in _GENERIC:
            return False
    return says_success
