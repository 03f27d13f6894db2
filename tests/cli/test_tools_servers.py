"""`llm-pytest tools SPEC...`: what the MCP servers specs declare offer, by starting them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_pytest.cli.main import main

HERE = Path(__file__).parent
COUNTER = HERE.parent / "tools" / "mcp" / "servers" / "counter_server.py"
NOTES = HERE.parents[1] / "spec-examples" / "servers" / "notes_server.py"


def python(script: Path) -> str:
    return f"{{command: python, args: [{json.dumps(str(script))}]}}"


def spec(path: Path, servers: dict[str, str]) -> Path:
    """A spec at ``path`` declaring ``servers`` (name to flow YAML)."""
    lines = [f"  {name}: {server}" for name, server in servers.items()]
    steps = "\nsteps:\n  - tool: counter_bump\n"
    path.write_text("test: {name: Listed}\nmcp_servers:\n" + "\n".join(lines) + steps)
    return path


def test_the_tools_resources_and_prompts_of_each_declared_server_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    first = spec(tmp_path / "test_one.yaml", {"counter": python(COUNTER), "notes": python(NOTES)})
    second = spec(tmp_path / "test_two.yaml", {"counter": python(COUNTER)})
    assert main(["tools", str(first), str(second)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"counter  [mcp stdio: python {COUNTER}, started in ")
    assert out[0].endswith(" ms]")
    assert out[1:9] == [
        "  tools:",
        "    counter_bump()  Add one to the counter and answer it.",
        "    counter_tag()  Answer COUNTER_TAG and the server's arguments.",
        "    counter_wait(seconds)  Never answer.",
        "  resources:",
        "    counter://value  value  text/plain",
        "  prompts:",
        "    explain(style?)  Explain the counter.",
    ]
    notes = out.index(next(line for line in out if line.startswith("notes  [mcp stdio")))
    assert out[notes + 1 : notes + 3] == [
        "  tools:",
        "    notes_add_note(title, body)  Add a note and return it with its new id.",
    ]
    assert sum(line.startswith("counter  [") for line in out) == 1  # one server, two specs


def test_json_gives_each_servers_schemas_and_a_server_that_cannot_start_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    servers = {"counter": python(COUNTER), "broken": "{command: no-such-mcp-server}"}
    path = spec(tmp_path / "test_one.yaml", servers)
    assert main(["tools", "--json", str(path)]) == 1
    captured = capsys.readouterr()
    counter, broken = json.loads(captured.out)
    assert counter["error"] is None and counter["startup_ms"] > 0
    assert counter["specs"] == ["test_one.yaml"]
    wait = next(t for t in counter["tools"] if t["name"] == "counter_wait")
    assert wait["mcp_name"] == "wait"
    assert wait["input_schema"]["required"] == ["seconds"]
    assert counter["resources"] == [
        {"name": "value", "uri": "counter://value", "mime_type": "text/plain"}
    ]
    assert [p["name"] for p in counter["prompts"]] == ["explain"]
    assert broken["tools"] == [] and broken["startup_ms"] is None
    assert broken["error"].startswith("MCP server `broken` could not be started: No such file")
    assert captured.err.startswith(
        "llm-pytest: error: MCP server `broken` could not be started: No such file"
    )
    assert "  hint: check `command` and `cwd` of `broken` in mcp_servers" in captured.err
