"""Reports: trace JSONL files, a self-contained HTML file, the terminal summary."""
