#!/usr/bin/env bash
# Install the Claude Code CLI (npm package @anthropic-ai/claude-code, a native binary inside the
# package) into a cache folder and print the path of its `claude` executable. The agent-mode
# tests in tests/bridge/ run it against a loopback mock of the Anthropic API; safe to run
# repeatedly.
#
# Usage: scripts/install-claude-code.sh [DIR]   (default: .cache/claude-code under the
# repository root)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-"$repo_root/.cache/claude-code"}"
claude="$dir/node_modules/.bin/claude"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-claude-code: node and npm are required (e.g. apt-get install nodejs npm)" >&2
    exit 1
fi

runs() {
    [[ -x "$claude" ]] && "$claude" --version </dev/null >/dev/null 2>&1
}

if ! runs; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code >&2
fi

if ! runs; then
    echo "install-claude-code: $claude does not run after npm install" >&2
    exit 1
fi
echo "$claude"
