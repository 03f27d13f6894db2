"""MCP: a client for the servers specs declare, a server exposing our tools, and agent mode.

- :mod:`~llm_pytest.bridge.config`: how to reach one server (no SDK import);
- :mod:`~llm_pytest.bridge.client`: ``McpConnections``, the servers' tools as registry tools;
- :mod:`~llm_pytest.bridge.lifecycle`: the servers of one plan, for the length of its item;
- :mod:`~llm_pytest.bridge.results`: the value of an MCP tool result;
- :mod:`~llm_pytest.bridge.server`: ``build_server``, a registry's tools as an MCP server;
- :mod:`~llm_pytest.bridge.agent`: ``run_agent_iteration``, one run of a ``mode: agent`` plan
  (its prompt in ``agent_prompt``, its recording server in ``agent_server``, the agent process
  in ``agent_driver``, its trace in ``agent_replay``).

Importing this package imports nothing of the MCP SDK (about 0.8 s); the modules that need it
import it themselves.
"""
