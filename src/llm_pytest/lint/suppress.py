"""Which findings are reported: ``--select``, ``--ignore`` and ``# llm-pytest: ignore[CODE]``.

An inline comment silences the codes it names (or prefixes, comma-separated) for a finding on
its own line, or, when the comment stands alone on its line, for a finding on the next line::

    - tool: legacy_call   # llm-pytest: ignore[E401]
    # llm-pytest: ignore[W102, W103]
    - expect: "Request should complete"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llm_pytest.errors import source_line
from llm_pytest.lint.codes import matches
from llm_pytest.lint.findings import Finding

__all__ = ["CodeFilter", "inline_ignored"]

_MARK = "llm-pytest:"
_COMMENT = re.compile(r"(?:^|\s)#\s*llm-pytest:\s*ignore\[([^\]]*)\]")


@dataclass(frozen=True, slots=True)
class CodeFilter:
    """Keeps the findings that are selected, not ignored and not silenced inline.

    An empty ``select`` selects every code; ``ignore`` wins over ``select``.
    """

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def keeps(self, finding: Finding) -> bool:
        code = finding.code
        if self.select and not matches(code, self.select):
            return False
        if self.ignore and matches(code, self.ignore):
            return False
        return not inline_ignored(finding)


def inline_ignored(finding: Finding) -> bool:
    """Whether an ``# llm-pytest: ignore[...]`` comment silences ``finding``."""
    loc = finding.location
    for number in (loc.line, loc.line - 1):
        text = source_line(loc.path, number)
        if text is None or _MARK not in text:
            continue
        if number != loc.line and not text.lstrip().startswith("#"):
            continue
        for match in _COMMENT.finditer(text):
            codes = [c.strip().upper() for c in match.group(1).split(",") if c.strip()]
            if matches(finding.code, codes):
                return True
    return False
