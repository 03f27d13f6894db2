"""Python plugins: tool functions and classes found in plugin folders and entry points."""
