"""Reading a spec's `mcp_servers` mapping into server configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_pytest.bridge.config import HttpServerConfig, StdioServerConfig, configs_from_mapping
from llm_pytest.dsl.loader import load_text
from llm_pytest.errors import ValidationError


def test_stdio_and_http_servers_are_read_in_order(tmp_path: Path) -> None:
    configs = configs_from_mapping(
        {
            "time": {"command": "python", "args": ["-m", "mcp_server_time"], "env": {"TZ": "UTC"}},
            "remote": {"url": "http://127.0.0.1:9000/mcp", "headers": {"X-Key": "k"}},
        },
        tmp_path,
    )
    assert configs == [
        StdioServerConfig(
            "time", "python", ("-m", "mcp_server_time"), env={"TZ": "UTC"}, cwd=str(tmp_path)
        ),
        HttpServerConfig("remote", "http://127.0.0.1:9000/mcp", headers={"X-Key": "k"}),
    ]


def test_relative_cwd_is_taken_from_the_spec_folder(tmp_path: Path) -> None:
    [config] = configs_from_mapping({"s": {"command": "srv", "cwd": "servers"}}, tmp_path)
    assert isinstance(config, StdioServerConfig)
    assert config.cwd == str(tmp_path / "servers")


def test_numbers_in_args_and_env_become_text(tmp_path: Path) -> None:
    [config] = configs_from_mapping(
        {"s": {"command": "srv", "args": ["--port", 8000, "--debug", True], "env": {"N": 2}}},
        tmp_path,
    )
    assert isinstance(config, StdioServerConfig)
    assert config.args == ("--port", "8000", "--debug", "true")
    assert config.env == {"N": "2"}


def test_a_server_with_both_command_and_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="sets both `command` and `url`") as info:
        configs_from_mapping({"s": {"command": "srv", "url": "http://x/mcp"}}, tmp_path)
    assert info.value.hint is not None
    assert "stdio" in info.value.hint


def test_a_server_with_neither_command_nor_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="has neither"):
        configs_from_mapping({"s": {"args": []}}, tmp_path)


def test_unknown_key_is_located_and_suggests_the_closest(tmp_path: Path) -> None:
    [document] = load_text(
        "mcp_servers:\n  notes:\n    command: python\n    agrs: [x]\n", path="spec.yaml"
    )
    with pytest.raises(ValidationError) as info:
        configs_from_mapping(document.data["mcp_servers"], tmp_path, path="spec.yaml")
    assert "unknown key `agrs`" in info.value.message
    assert info.value.hint == "did you mean `args`?"
    assert info.value.location is not None
    assert (info.value.location.path, info.value.location.line) == ("spec.yaml", 4)


def test_http_keys_are_refused_on_a_stdio_server(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown key `headers`"):
        configs_from_mapping({"s": {"command": "srv", "headers": {}}}, tmp_path)


def test_args_must_be_a_list(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="`args` of MCP server `s` must be a list"):
        configs_from_mapping({"s": {"command": "srv", "args": "-m x"}}, tmp_path)


def test_a_server_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must be a mapping with `command` or `url`"):
        configs_from_mapping({"s": "python -m x"}, tmp_path)
