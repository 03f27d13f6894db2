#!/usr/bin/env bash
# Install the yaml-language-server npm package (2.x) into a cache folder and print the path of
# its entry script. Used by the LSP tests in tests/editor/; safe to run repeatedly.
#
# Usage: scripts/install-yaml-language-server.sh [DIR]   (default: .cache/yaml-language-server
# under the repository root)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-"$repo_root/.cache/yaml-language-server"}"
entry="$dir/node_modules/yaml-language-server/bin/yaml-language-server"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-yaml-language-server: node and npm are required (e.g. apt-get install nodejs npm)" >&2
    exit 1
fi

installed_major() {
    node -e 'process.stdout.write(String(require(process.argv[1]).version.split(".")[0]))' \
        "$dir/node_modules/yaml-language-server/package.json" 2>/dev/null || true
}

if [[ ! -f "$entry" || "$(installed_major)" != "2" ]]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error yaml-language-server@2 >&2
fi

if [[ ! -f "$entry" ]]; then
    echo "install-yaml-language-server: $entry is missing after npm install" >&2
    exit 1
fi
echo "$entry"
