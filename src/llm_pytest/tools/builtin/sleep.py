"""``sleep``: wait a number of seconds (cancelled with the step at its deadline)."""

from __future__ import annotations

from typing import Any

import anyio

from llm_pytest.tools.registry import Tool, ToolContext

__all__ = ["SLEEP_TOOL"]


async def sleep(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    seconds: float = args["seconds"]
    await anyio.sleep(seconds)
    return {"slept": seconds}


SLEEP_TOOL = Tool(
    name="sleep",
    description=(
        "Wait for a number of seconds, e.g. to give a system time to settle. "
        "Prefer `until:` on a step to poll for a condition."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "seconds": {
                "type": "number",
                "minimum": 0,
                "description": "How long to wait, in seconds (fractions allowed).",
            },
        },
        "required": ["seconds"],
        "additionalProperties": False,
    },
    func=sleep,
    result_fields={"slept": "The seconds waited, as given."},
)
