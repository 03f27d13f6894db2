"""MCP: a client for the servers specs declare, and a server exposing a registry's tools.

- :mod:`~llm_pytest.tools.mcp.config`: how to reach one server (no SDK import);
- :mod:`~llm_pytest.tools.mcp.client`: ``McpConnections``, the servers' tools as registry tools;
- :mod:`~llm_pytest.tools.mcp.lifecycle`: the servers of one plan, for the length of its item;
- :mod:`~llm_pytest.tools.mcp.results`: the value of an MCP tool result;
- :mod:`~llm_pytest.tools.mcp.server`: ``build_server``, a registry's tools as an MCP server;
- :mod:`~llm_pytest.tools.mcp.bearer`: the bearer token its HTTP transport requires.

Importing this package imports nothing of the MCP SDK (about 0.8 s); the modules that need it
import it themselves.
"""
