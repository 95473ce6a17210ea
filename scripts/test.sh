#!/usr/bin/env bash
# Quick start, part 2: installs dependencies, builds linesight and runs the whole test suite.
# With --asan, builds and runs it under AddressSanitizer + UndefinedBehaviorSanitizer instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
preset=release
[ "${1:-}" = "--asan" ] && preset=asan
scripts/install-deps.sh
scripts/build-web.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
