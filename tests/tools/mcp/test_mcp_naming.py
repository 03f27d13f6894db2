"""The names a spec uses for the tools of its MCP servers."""

from __future__ import annotations

from llm_pytest.tools.mcp.client import AmbiguousTool, disambiguated, tool_names
from llm_pytest.tools.registry import Tool


def test_a_tool_is_named_with_its_server_by_underscore_or_dot() -> None:
    assert tool_names("time", "get_current_time") == (
        "time_get_current_time",
        "time.get_current_time",
    )


def test_a_tool_starting_with_its_servers_name_is_also_named_by_itself() -> None:
    assert tool_names("git", "git_status") == ("git_git_status", "git.git_status", "git_status")


def server_tool(server: str, tool: str) -> Tool:
    main, *aliases = tool_names(server, tool)
    return Tool(main, "", {}, lambda ctx, args: None, f"mcp:{server}", tuple(aliases))


def test_a_name_two_tools_would_share_names_neither_and_lists_both_candidates() -> None:
    tools = disambiguated([server_tool("a", "b_c"), server_tool("a_b", "c")])
    assert [(t.name, t.aliases) for t in tools] == [
        ("a.b_c", ()),
        ("a_b.c", ()),
        ("a_b_c", ()),
    ]
    stand_in = tools[2]
    assert isinstance(stand_in, AmbiguousTool)
    assert stand_in.ambiguity.message == (
        "tool name `a_b_c` is ambiguous: `b_c` of server `a`, `c` of server `a_b`"
    )
