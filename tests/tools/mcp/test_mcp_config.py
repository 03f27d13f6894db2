"""A compiled plan's `mcp_servers` as server configs: templates resolved, paths from the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.errors import ExpressionError
from llm_pytest.model.plan import Plan
from llm_pytest.tools.mcp.config import HttpServerConfig, StdioServerConfig
from llm_pytest.tools.mcp.lifecycle import server_configs

SPEC = """\
test: {name: servers}
vars: {tz: UTC, port: 9000}
mcp_servers:
  time:
    command: python
    args: [-m, mcp_server_time, --local-timezone, "${vars.tz}"]
    env: {TZ: "${vars.tz}", HOME_COPY: "${env.SOME_HOME}"}
  remote:
    url: "http://127.0.0.1:${vars.port}/mcp"
    headers: {X-Key: "${env.REMOTE_KEY}"}
  local:
    command: ./serve
    cwd: servers
steps:
  - tool: time_get_current_time
"""


def plan(tmp_path: Path, text: str = SPEC) -> Plan:
    [compiled] = compile_text(text, str(tmp_path / "test_servers.yaml"))
    return compiled


def test_servers_come_in_order_with_vars_and_env_resolved(tmp_path: Path) -> None:
    env = {"SOME_HOME": "/home/ada", "REMOTE_KEY": "k-123"}
    time, remote, local = server_configs(plan(tmp_path), env)
    assert time == StdioServerConfig(
        "time",
        "python",
        ("-m", "mcp_server_time", "--local-timezone", "UTC"),
        env={"TZ": "UTC", "HOME_COPY": "/home/ada"},
        cwd=str(tmp_path),
    )
    assert remote == HttpServerConfig(
        "remote", "http://127.0.0.1:9000/mcp", headers={"X-Key": "k-123"}
    )
    assert isinstance(local, StdioServerConfig)
    assert local.cwd == str(tmp_path / "servers")


def test_an_unset_environment_variable_names_the_expression(tmp_path: Path) -> None:
    with pytest.raises(ExpressionError, match="REMOTE_KEY"):
        server_configs(plan(tmp_path), {"SOME_HOME": "/home/ada"})


def test_an_experiment_override_reaches_the_server_args(tmp_path: Path) -> None:
    text = SPEC.replace(
        "steps:", "experiments:\n  - name: tokyo\n    overrides: {vars.tz: Asia/Tokyo}\nsteps:"
    )
    [tokyo] = compile_text(text, str(tmp_path / "test_servers.yaml"))
    env = {"SOME_HOME": "/h", "REMOTE_KEY": "k"}
    time = server_configs(tokyo, env)[0]
    assert isinstance(time, StdioServerConfig)
    assert time.args[-1] == "Asia/Tokyo"


def test_a_scope_picks_its_servers_and_the_iteration_and_uuid_render_per_call(
    tmp_path: Path,
) -> None:
    text = """\
test: {name: scoped}
mcp_servers:
  fresh:
    command: python
    args: ["--run=${iteration}", "--db=${uuid()}"]
  shared:
    command: python
    scope: item
steps:
  - tool: fresh_x
"""
    compiled = plan(tmp_path, text)
    assert [s.scope for s in compiled.mcp_servers] == ["run", "item"]
    [first] = server_configs(compiled, {}, iteration=1, scope="run")
    [second] = server_configs(compiled, {}, iteration=2, scope="run")
    assert isinstance(first, StdioServerConfig) and isinstance(second, StdioServerConfig)
    assert (first.name, first.args[0], second.args[0]) == ("fresh", "--run=1", "--run=2")
    assert first.args[1] != second.args[1]
    assert [c.name for c in server_configs(compiled, {}, scope="item")] == ["shared"]
