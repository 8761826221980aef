#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the schema validator's npm dependencies (package-lock.json, exact versions) into a cache
# directory outside the repository, once per lockfile: $STOCKADE_TEST_CACHE/npm/schema-validate
# (default /var/cache/stockade-test). Prints the node_modules directory on success.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}/npm/schema-validate
stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
if [ ! -f "$cache/.stamp-$stamp" ] || [ ! -d "$cache/node_modules" ]; then
        command -v npm >/dev/null 2>&1 || { echo "install.sh: npm is not installed" >&2; exit 1; }
        rm -rf "$cache"
        mkdir -p "$cache"
        cp "$here/package.json" "$here/package-lock.json" "$cache/"
        (cd "$cache" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
        touch "$cache/.stamp-$stamp"
fi
echo "$cache/node_modules"
