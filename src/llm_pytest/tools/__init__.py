"""Tools: the registry, argument checks and the one call path; built-ins, plugins, MCP."""
