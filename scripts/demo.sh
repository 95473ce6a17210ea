#!/usr/bin/env bash
# Quick start, part 1: installs dependencies, builds linesight and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
scripts/install-deps.sh
scripts/build-web.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/linesight demo --out demo-out "$@"
