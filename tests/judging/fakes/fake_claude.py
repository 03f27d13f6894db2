"""A stand-in for the `claude` CLI in print mode: prints a real-shaped stream-json transcript.

Run through a `claude` wrapper on PATH. Like the real CLI it takes the prompt from the
argument after ``-p``, else reads it from stdin to its end (with an open stdin pipe this never
returns). The mode comes from FAKE_CLAUDE_MODE:

- ``ok``: system/init, assistant, user, result events; the answer is FAKE_CLAUDE_ANSWER
- ``prompt_size``: answers PASS with the number of characters of the prompt and where it came
  from (argv or stdin)
- ``hang``: starts a child in its process group, writes both pids to FAKE_CLAUDE_PIDS, and
  blocks forever
- ``garbage``: prints lines that are not JSON
- ``max_turns``: a result event with is_error and subtype error_max_turns
- ``auth``: a result event with is_error and an invalid-key message
- ``crash``: no events, a message on stderr, exit code 2

The argv is written to FAKE_CLAUDE_ARGV as JSON, and the prompt to FAKE_CLAUDE_PROMPT, when
they are set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

PASS = '{"verdict": "PASS", "reason": "the data matches", "steps": [], "issues": []}'


def emit(event: dict[str, object]) -> None:
    print(json.dumps(event), flush=True)


def transcript(answer: str, **result: object) -> None:
    emit(
        {
            "type": "system",
            "subtype": "init",
            "session_id": "s1",
            "model": "claude-sonnet-4-5",
            "tools": [],
            "mcp_servers": [],
        }
    )
    emit(
        {
            "type": "assistant",
            "session_id": "s1",
            "message": {"role": "assistant", "content": [{"type": "text", "text": answer}]},
        }
    )
    emit(
        {
            "type": "user",
            "session_id": "s1",
            "message": {"role": "user", "content": [{"type": "tool_result", "content": "ok"}]},
        }
    )
    final: dict[str, object] = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "result": answer,
        "num_turns": 1,
        "duration_ms": 1200,
        "total_cost_usd": 0.0123,
        "usage": {
            "input_tokens": 1500,
            "cache_read_input_tokens": 500,
            "cache_creation_input_tokens": 0,
            "output_tokens": 80,
        },
        "permission_denials": [],
        "session_id": "s1",
    }
    final.update(result)
    emit(final)


def read_prompt(args: list[str]) -> tuple[str, str]:
    """The prompt and where it came from: the argument after ``-p``, else stdin."""
    if len(args) > 1 and args[0] == "-p" and not args[1].startswith("-"):
        return args[1], "argv"
    return sys.stdin.read(), "stdin"


def main() -> int:
    if os.environ.get("FAKE_CLAUDE_ARGV"):
        with open(os.environ["FAKE_CLAUDE_ARGV"], "w") as handle:
            json.dump(sys.argv[1:], handle)
    prompt, source = read_prompt(sys.argv[1:])
    if os.environ.get("FAKE_CLAUDE_PROMPT"):
        with open(os.environ["FAKE_CLAUDE_PROMPT"], "w") as handle:
            handle.write(prompt)
    mode = os.environ.get("FAKE_CLAUDE_MODE", "ok")
    if mode == "ok":
        transcript(os.environ.get("FAKE_CLAUDE_ANSWER", PASS))
    elif mode == "prompt_size":
        reason = f"{source} gave {len(prompt)} characters"
        answer = json.dumps({"verdict": "PASS", "reason": reason, "steps": [], "issues": []})
        transcript(answer)
    elif mode == "hang":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(os.environ["FAKE_CLAUDE_PIDS"], "w") as handle:
            handle.write(f"{os.getpid()}\n{child.pid}\n")
        threading.Event().wait()
    elif mode == "garbage":
        print("Welcome to something that is not Claude Code", flush=True)
        print("<<<>>>", flush=True)
    elif mode == "max_turns":
        transcript(PASS, subtype="error_max_turns", is_error=True, result=None)
    elif mode == "auth":
        transcript(
            "Invalid API key · Please run /login",
            is_error=True,
            result="Invalid API key · Please run /login",
        )
    elif mode == "crash":
        print("fatal: something broke", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
