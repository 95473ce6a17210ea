#!/usr/bin/env bash
# The whole line loop, timed as the PLC sees it: trigger -> result valid over a real Modbus TCP
# socket on 127.0.0.1, through the station's capture, inspection and durable outbox write. Runs
# the simulated cell with 1 station and with 9 stations at once, unpaced (each PLC triggers its
# next part as soon as it has acknowledged the last), and paced as the demo runs (300x real time),
# and prints p50 / p99 latency and parts per second for each.
#   usage: bench/station.sh [HOURS]      (simulated hours per run, default 1)
#   env:   LINESIGHT_BIN (default build/release/linesight)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${LINESIGHT_BIN:-$repo/build/release/linesight}
hours=${1:-1}
[ -x "$bin" ] || { echo "station bench: no binary at $bin (build first)"; exit 1; }
work=$(mktemp -d /tmp/linesight_station.XXXXXX); trap 'rm -rf "$work"' EXIT

printf '%-28s %7s %9s %9s %9s %8s\n' run parts "p50 ms" "p99 ms" "parts/s" "NG"
for run in "1 0" "9 0" "9 300"; do
  set -- $run
  machines=$1 speed=$2
  "$bin" demo --listen off --out "$work/m$machines-s$speed" --machines "$machines" --hours "$hours" \
    --speed "$speed" --json 2>/dev/null > "$work/summary.json"
  python3 - "$work/summary.json" "$machines" "$speed" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = s["total"]
label = f"{sys.argv[2]} station(s), " + ("unpaced" if sys.argv[3] == "0" else f"{sys.argv[3]}x")
print(f"{label:<28} {t['parts']:7d} {t['latency_p50_ms']:9.2f} {t['latency_p99_ms']:9.2f} "
      f"{t['parts'] / s['real_seconds']:9.1f} {t['rejects'] + t['holds']:8d}")
PY
done
