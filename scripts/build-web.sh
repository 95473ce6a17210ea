#!/usr/bin/env bash
# Builds the web dashboard into web/dist (the static files `linesight server` serves at `/`).
# Installs the npm packages pinned in web/package-lock.json first (`npm ci`) when node_modules is
# missing or older than the lock file. Needs Node.js >= 18 and npm (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "build-web: node and npm are needed: run scripts/install-deps.sh (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "build-web: Node.js >= 18 is needed, found $(node -v)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "build-web: npm ci (packages from the npm registry, pinned by web/package-lock.json)"
  npm ci --no-audit --no-fund
fi
npm run build
echo "build-web: web/dist is ready"
