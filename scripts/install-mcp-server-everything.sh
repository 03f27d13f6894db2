#!/usr/bin/env bash
# Install the npm MCP server @modelcontextprotocol/server-everything into a cache folder and
# print the path of its entry script (run it with `node ENTRY stdio`). Used by the tests that
# drive a real npm server over stdio; safe to run repeatedly.
#
# Usage: scripts/install-mcp-server-everything.sh [DIR]   (default: .cache/mcp-server-everything
# under the repository root)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-"$repo_root/.cache/mcp-server-everything"}"
entry="$dir/node_modules/@modelcontextprotocol/server-everything/dist/index.js"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-mcp-server-everything: node and npm are required (e.g. apt-get install nodejs npm)" >&2
    exit 1
fi

if [[ ! -f "$entry" ]]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
        @modelcontextprotocol/server-everything >&2
fi

if [[ ! -f "$entry" ]]; then
    echo "install-mcp-server-everything: $entry is missing after npm install" >&2
    exit 1
fi
echo "$entry"
