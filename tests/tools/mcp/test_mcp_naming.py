"""The names a spec uses for the tools of its MCP servers."""

from __future__ import annotations

from llm_pytest.tools.mcp.client import ambiguous_names, tool_names


def test_a_tool_is_named_with_its_server_by_underscore_or_dot() -> None:
    assert tool_names("time", "get_current_time") == (
        "time_get_current_time",
        "time.get_current_time",
    )


def test_a_tool_starting_with_its_servers_name_is_also_named_by_itself() -> None:
    assert tool_names("git", "git_status") == ("git_git_status", "git.git_status", "git_status")


def test_a_name_two_tools_would_share_lists_both_candidates() -> None:
    found = ambiguous_names({"a": ["b_c"], "a_b": ["c"], "git": ["git_log"]})
    assert found == {"a_b_c": [("a", "b_c"), ("a_b", "c")]}
