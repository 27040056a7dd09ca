#!/usr/bin/env bash
# Installs the pinned ali-ons (package-lock.json) into this folder's node_modules with `npm ci`.
# Skips the install when node_modules already matches the lock file (a stamp copy of it), so
# repeated ctest runs do not reach the registry. The ctest fixture alions_npm_install runs this.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.raftmq-package-lock.json
if [[ -f "$stamp" && -f node_modules/ali-ons/package.json ]] && cmp -s package-lock.json "$stamp"; then
  echo "alions install: node_modules is up to date"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "alions install: npm not found; run scripts/install-deps (Debian packages nodejs, npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "alions install: installed $(node -p "require('ali-ons/package.json').version") into $(pwd)/node_modules"
