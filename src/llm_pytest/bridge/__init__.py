"""MCP: a client for the servers specs declare, and a server exposing our tools."""
