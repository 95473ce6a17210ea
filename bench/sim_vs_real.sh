#!/usr/bin/env bash
# Simulated parts and real castings side by side, in what the engine sees (docs/simulator.md):
# background, part brightness, fine grain and coarse texture on the face, each simulated defect's
# contrast, and a picture of three of each.
#   usage: bench/sim_vs_real.sh [COUNT] [OUT.png]     (default 200 images, /tmp/sim_vs_real.png)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${SIM_VS_REAL_BIN:-$repo/build/release/bench/sim_vs_real}
real=$repo/../shared/data/casting/good
[ -d "$real" ] || { echo "sim_vs_real: skipped, no real castings at $real"; exit 0; }
[ -x "$bin" ] || { echo "sim_vs_real: no binary at $bin (build first)"; exit 1; }
"$bin" "$real" "${2:-/tmp/sim_vs_real.png}" "${1:-200}"
