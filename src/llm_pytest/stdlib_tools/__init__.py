"""The built-in tools (LANGUAGE.md section 7)."""
