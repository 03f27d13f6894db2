"""`llm-pytest mcp serve`, end to end: a real MCP client talks to the command's process."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp_types import TextContent

import llm_pytest
from llm_pytest.cli import mcp_cmd

from .support import SCRIPTED_SERVER, bearer_client, free_port, read_banner, wait_for_port

pytestmark = pytest.mark.anyio

# The command as the `llm-pytest` entry point runs it, built from this module's own parser.
COMMAND = (
    "import argparse, sys; from llm_pytest.cli import mcp_cmd; "
    "parser = argparse.ArgumentParser(prog='llm-pytest mcp'); mcp_cmd.add_arguments(parser); "
    "sys.exit(mcp_cmd.run(parser.parse_args(sys.argv[1:])))"
)

PLUGIN = '''
import os
from llm_pytest.tools.plugins.loader import LLMPlugin


class Journal(LLMPlugin):
    name = "journal"

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[str] = []

    def note(self, text: str) -> dict:
        """Write a line in the journal."""
        self.entries.append(text)
        return {"entries": len(self.entries)}

    async def cleanup(self) -> None:
        with open(os.environ["JOURNAL_LOG"], "a") as log:
            log.write(f"closed after {len(self.entries)} entries\\n")
'''


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A plugin folder and a spec declaring an MCP server, as a user's project has them."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "journal.py").write_text(textwrap.dedent(PLUGIN))
    (tmp_path / "test_notes.yaml").write_text(
        textwrap.dedent(
            f"""\
            test: {{name: proxied}}
            vars: {{server: "{SCRIPTED_SERVER}"}}
            mcp_servers:
              scripted:
                command: python
                args: ["${{vars.server}}", "${{env.SCRIPTED_MODE}}"]
            steps:
              - tool: scripted_ping
            """
        )
    )
    return tmp_path


def serve_args(project: Path, *extra: str) -> list[str]:
    plugins, spec = str(project / "plugins"), str(project / "test_notes.yaml")
    return ["-c", COMMAND, "serve", "--plugins", plugins, "--spec", spec, *extra]


def text_of(result: object) -> str:
    [block] = result.content  # type: ignore[attr-defined]
    assert isinstance(block, TextContent)
    return block.text


async def test_stdio_serves_builtins_plugins_and_spec_servers_with_state_per_connection(
    project: Path,
) -> None:
    log = project / "journal.log"
    env = {"JOURNAL_LOG": str(log), "SCRIPTED_MODE": "serve"}
    params = StdioServerParameters(command=sys.executable, args=serve_args(project), env=env)
    with anyio.fail_after(60):
        async with Client(params) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            await client.call_tool("store_value", {"name": "user", "value": "ada"})
            kept = await client.call_tool("get_value", {"name": "user"})
            noted = await client.call_tool("journal_note", {"text": "first"})
            pong = await client.call_tool("scripted_ping", {})
        async with Client(params) as client:
            fresh = await client.call_tool("get_value", {"name": "user"})
    for name in ("store_value", "get_value", "run_command", "journal_note", "scripted_ping"):
        assert name in names
    assert kept.structured_content == {"name": "user", "value": "ada", "found": True}
    assert noted.structured_content == {"entries": 1}
    assert text_of(pong) == "pong"
    assert fresh.structured_content == {"name": "user", "value": None, "found": False}
    assert log.read_text() == "closed after 1 entries\n"  # the first connection's plugin cleanup
    assert "mcp_list_tools" in names  # the spec declares a server it reaches


async def test_serving_without_a_spec_offers_no_mcp_protocol_tools(project: Path) -> None:
    args = ["-c", COMMAND, "serve", "--plugins", str(project / "plugins")]
    params = StdioServerParameters(command=sys.executable, args=args)
    with anyio.fail_after(60):
        async with Client(params) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
    assert "journal_note" in names and "store_value" in names
    assert not [name for name in names if name.startswith("mcp_")]


@dataclass(frozen=True)
class Served:
    """A running `llm-pytest mcp serve --http`: its URL, the lines it printed, its token."""

    url: str
    banner: list[str]
    token: str


@asynccontextmanager
async def serving_http(project: Path, host: str, *extra: str, **env: str) -> AsyncIterator[Served]:
    port = free_port()
    argv = [sys.executable, *serve_args(project, "--http", f"{host}:{port}", *extra)]
    env = {
        **os.environ,
        "JOURNAL_LOG": str(project / "journal.log"),
        "SCRIPTED_MODE": "serve",
        **env,
    }
    async with await anyio.open_process(argv, env=env) as process:
        try:
            assert process.stderr is not None
            with anyio.fail_after(60):
                banner = await read_banner(process.stderr)
            await wait_for_port(port, within=60)
            token = banner[1].removeprefix("bearer token: ").strip()
            yield Served(f"http://127.0.0.1:{port}/mcp", banner, token)
        finally:
            process.terminate()


@pytest.fixture
async def served(project: Path) -> AsyncIterator[Served]:
    async with serving_http(project, "127.0.0.1") as running:
        yield running


async def test_http_keeps_state_per_session_and_closes_it_when_the_session_ends(
    project: Path, served: Served
) -> None:
    url, token = served.url, served.token
    with anyio.fail_after(60):
        async with bearer_client(url, token) as first, bearer_client(url, token) as second:
            await first.call_tool("store_value", {"name": "k", "value": 1})
            await first.call_tool("journal_note", {"text": "one"})
            await first.call_tool("journal_note", {"text": "two"})
            mine = await first.call_tool("get_value", {"name": "k"})
            theirs = await second.call_tool("get_value", {"name": "k"})
            assert not (project / "journal.log").exists()
        # Both sessions have ended (the client deletes them when it leaves).
    assert mine.structured_content == {"name": "k", "value": 1, "found": True}
    assert theirs.structured_content == {"name": "k", "value": None, "found": False}
    assert (project / "journal.log").read_text() == "closed after 2 entries\n"


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def test_http_prints_the_url_and_a_generated_token_at_start_up(served: Served) -> None:
    assert served.banner[0] == f"serving MCP on {served.url}"
    assert served.banner[2] == "every request must send `Authorization: Bearer <token>`"
    assert len(served.token) >= 40


async def test_http_answers_a_request_without_the_token_with_401_saying_what_is_missing(
    served: Served,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        anonymous = await http.post(served.url, json=INITIALIZE, headers=MCP_HEADERS)
        wrong = await http.post(
            served.url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": "Bearer nope"}
        )
        right = await http.post(
            served.url,
            json=INITIALIZE,
            headers={**MCP_HEADERS, "Authorization": f"Bearer {served.token}"},
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer error="invalid_request"'
    assert anonymous.json()["error_description"].startswith(
        "this MCP server requires a bearer token: send `Authorization: Bearer <token>`"
    )
    assert wrong.status_code == 401
    assert wrong.json()["error_description"].startswith("the bearer token is wrong")
    assert right.status_code == 200


async def test_an_mcp_client_with_a_wrong_token_cannot_run_commands_and_one_with_the_token_can(
    project: Path, served: Served
) -> None:
    marker = project / "ran"
    touch = {"argv": ["touch", str(marker)]}
    with anyio.fail_after(60):
        with pytest.raises(ExceptionGroup) as refused:
            async with bearer_client(served.url, "guessed") as intruder:
                await intruder.call_tool("run_command", touch)
        assert not marker.exists()
        async with bearer_client(served.url, served.token) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            ran = await client.call_tool("run_command", touch)
    assert refused.group_contains(MCPError, depth=None)
    assert {"run_command", "read_file", "journal_note"} <= set(names)
    assert not ran.is_error
    assert marker.exists()


async def test_allow_remote_serves_all_interfaces_with_the_token_from_the_environment(
    project: Path,
) -> None:
    chosen = "a-token-the-user-chose-0123456789"
    extra = ("--allow-remote", "--token-env", "SERVE_TOKEN")
    async with serving_http(project, "0.0.0.0", *extra, SERVE_TOKEN=chosen) as running:
        with anyio.fail_after(60):
            async with bearer_client(running.url, chosen) as client:
                stored = await client.call_tool("store_value", {"name": "k", "value": 1})
    assert running.banner[1] == "bearer token: the value of $SERVE_TOKEN"
    assert chosen not in "".join(running.banner)
    assert running.banner[2].startswith("warning: serving beyond this machine over plain HTTP")
    assert stored.structured_content == {"stored": "k", "value": 1}


STUCK_PLUGIN = """
import threading
from llm_pytest.tools.plugins.loader import LLMPlugin


class Stuck(LLMPlugin):
    name = "stuck"

    def forever(self) -> dict:
        \"\"\"Block the calling thread until the process ends.\"\"\"
        threading.Event().wait()
        return {}
"""


async def test_a_blocking_plugin_tool_past_the_time_limit_is_a_timeout_error_not_a_hang(
    tmp_path: Path,
) -> None:
    (tmp_path / "stuck.py").write_text(STUCK_PLUGIN)
    args = ["-c", COMMAND, "serve", "--plugins", str(tmp_path), "--timeout", "0.5"]
    # The child imports the llm_pytest under test, wherever this process found it.
    env = {"PYTHONPATH": str(Path(llm_pytest.__file__).parents[1])}
    params = StdioServerParameters(command=sys.executable, args=args, env=env)
    with anyio.fail_after(60):
        async with Client(params) as client:
            stuck = await client.call_tool("stuck_forever", {})
            after = await client.call_tool("store_value", {"name": "k", "value": 1})
    assert stuck.is_error
    assert text_of(stuck) == "timed out after 0.5s"
    assert after.structured_content == {"stored": "k", "value": 1}


def test_a_time_limit_that_is_not_a_positive_number_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        run_command("serve", "--timeout", "0")
    assert "expected a number of seconds > 0, got '0'" in capsys.readouterr().err


def run_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="llm-pytest mcp")
    mcp_cmd.add_arguments(parser)
    return mcp_cmd.run(parser.parse_args(argv))


def test_a_bad_http_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command("serve", "--http", "localhost") == 2
    assert "--http takes HOST:PORT (for example 127.0.0.1:8765), got 'localhost'" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "[::]"])
def test_a_bind_beyond_loopback_is_refused_without_allow_remote(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_command("serve", "--http", f"{host}:8765") == 2
    err = capsys.readouterr().err
    bare = host.strip("[]")
    assert err.startswith(
        f"llm-pytest: error: refusing to serve on {bare}: it is not a loopback address, so "
        "other machines could call the served tools (run_command, read_file, ...)"
    )
    assert "hint: serve on 127.0.0.1, or add --allow-remote" in err


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--http", "127.0.0.1:8765", "--token-env", "UNSET_SERVE_TOKEN"], "is not set"),
        (["--http", "127.0.0.1:8765", "--token-env", "EMPTY_SERVE_TOKEN"], "it is empty"),
        (["--token-env", "EMPTY_SERVE_TOKEN"], "--token-env is for HTTP serving"),
        (["--allow-remote"], "--allow-remote is for HTTP serving"),
    ],
)
def test_token_options_that_cannot_work_are_usage_errors(
    argv: list[str],
    problem: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UNSET_SERVE_TOKEN", raising=False)
    monkeypatch.setenv("EMPTY_SERVE_TOKEN", "")
    assert run_command("serve", *argv) == 2
    assert problem in capsys.readouterr().err


def test_a_spec_server_that_fails_to_start_is_reported_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "test_broken.yaml"
    spec.write_text(
        "test: {name: broken}\n"
        f"mcp_servers:\n  broken:\n    command: python\n    args: [{SCRIPTED_SERVER}, exit]\n"
        "steps:\n  - tool: broken_ping\n"
    )
    assert run_command("serve", "--spec", str(spec)) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "llm-pytest: error: MCP server `broken` exited with code 3 while starting"
    )
    assert "  | fatal: NOTES_DB is not set" in err
    assert "hint: run the command by hand" in err


def test_a_spec_that_does_not_compile_is_shown_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "test_typo.yaml"
    spec.write_text(
        "test: {name: typo}\nmcp_servers:\n  s:\n    command: python\n    agrs: [x]\n"
        "steps:\n  - tool: s_ping\n"
    )
    assert run_command("serve", "--spec", str(spec)) == 2
    err = capsys.readouterr().err
    assert f"{spec}:5:5: " in err
    assert "agrs" in err


def test_an_unset_variable_in_a_server_config_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_FOR_SERVE", raising=False)
    spec = tmp_path / "test_env.yaml"
    spec.write_text(
        "test: {name: env}\nmcp_servers:\n  s:\n    command: python\n"
        "    args: ['${env.NOT_SET_FOR_SERVE}']\nsteps:\n  - tool: s_ping\n"
    )
    assert run_command("serve", "--spec", str(spec)) == 2
    err = capsys.readouterr().err
    assert "NOT_SET_FOR_SERVE" in err
    assert f"{spec}:5:" in err


SERVED_TWICE = """\
test: {{name: first}}
mcp_servers:
  notes: {{command: python, args: [{first}]}}
steps: [{{tool: notes_count}}]
---
test: {{name: second}}
mcp_servers:
  notes: {{command: python, args: [{second}]}}
steps: [{{tool: notes_count}}]
"""


def test_tests_declaring_a_server_alike_are_served_once_even_with_a_uuid_in_it(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "test_twice.yaml"
    same = '"--db=${uuid()}.json"'
    spec.write_text(SERVED_TWICE.format(first=same, second=same))
    [config] = mcp_cmd._spec_servers(spec)
    assert config.name == "notes"


def test_tests_declaring_one_server_differently_cannot_be_served_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "test_twice.yaml"
    spec.write_text(SERVED_TWICE.format(first="a.py", second="b.py"))
    assert run_command("serve", "--spec", str(spec)) == 2
    assert (
        f"MCP server `notes` of {spec} is not the same in `first` and `second`"
        in capsys.readouterr().err
    )
