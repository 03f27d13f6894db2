"""MCP: a client for the servers specs declare, and a server exposing our tools.

- :mod:`~llm_pytest.bridge.config`: server configs from a spec's ``mcp_servers`` (no SDK import);
- :mod:`~llm_pytest.bridge.client`: ``McpConnections``, the servers' tools as registry tools;
- :mod:`~llm_pytest.bridge.lifecycle`: the servers of one plan, for the length of its item;
- :mod:`~llm_pytest.bridge.results`: the value of an MCP tool result;
- :mod:`~llm_pytest.bridge.server`: ``build_server``, a registry's tools as an MCP server.

Importing this package imports nothing of the MCP SDK (about 0.8 s); the modules that need it
import it themselves.
"""
