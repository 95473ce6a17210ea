#!/usr/bin/env bash
# Process intelligence figures (docs/process.md), one JSON object at the end:
# - on the simulator's ground truth: cause ranking against the true cause of each (machine,
#   defect type, week) episode with >= 20 rejects (build/release/bench/process_causes_bench:
#   3 seeds x 26 simulated weeks of the 9 machines);
# - on the simulator's ground truth: die-failure warnings and the downtime acting on them saves
#   (build/release/bench/process_sim_bench: 3 seeds x 52 simulated weeks of the 9-machine cell);
# - on the real KAMP shots (DATA_DIR/diecasting_process/shots.csv): defect risk per shot fitted
#   on the earlier weeks and judged on the later ones (build/release/bench/process_real_bench).
#   usage: bench/process.sh [DATA_DIR] [--split-at TIME]   (DATA_DIR default ../shared/data)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data="$repo/../shared/data"
split=()
while [ $# -gt 0 ]; do
  case "$1" in
    --split-at) split=(--split-at "$2"); shift 2 ;;
    *) data="$1"; shift ;;
  esac
done
sim_bin=${PROCESS_SIM_BIN:-$repo/build/release/bench/process_sim_bench}
real_bin=${PROCESS_REAL_BIN:-$repo/build/release/bench/process_real_bench}
causes_bin=${PROCESS_CAUSES_BIN:-$repo/build/release/bench/process_causes_bench}
for b in "$sim_bin" "$real_bin" "$causes_bin"; do
  [ -x "$b" ] || { echo "process bench: no binary at $b (cmake --build --preset release)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/linesight_process.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== causes against the simulated cell's truth (process_causes_bench --seeds 3 --weeks 26)" >&2
"$causes_bin" --seeds 3 --weeks 26 > "$work/causes.json"
echo "== die health on the simulated cell (process_sim_bench --seeds 3 --weeks 52)" >&2
"$sim_bin" --seeds 3 --weeks 52 > "$work/sim.json"
echo "== defect risk and causes on the real shots in $data" >&2
"$real_bin" "$data" "${split[@]}" > "$work/real.json"
python3 - "$work/sim.json" "$work/real.json" "$work/causes.json" <<'PY'
import json, sys
sim = json.load(open(sys.argv[1]))
real = json.load(open(sys.argv[2]))
causes = json.load(open(sys.argv[3]))
out = {
    "cause_top1_rate": causes.get("cause_top1_rate"),
    "cause_top1_rate_dominant": causes.get("dominant_cause_top1_rate"),
    "die_warned_500_rate": sim.get("die_warned_500_rate"),
    "false_warnings_per_machine_week": sim.get("false_warnings_per_machine_week"),
    "downtime_cut": sim.get("downtime_cut"),
    "die_failure_downtime_cut": sim.get("die_failure_downtime_cut"),
    "real_auroc_all": real.get("real_auroc_all"),
    "real_auroc_normal": real.get("real_auroc_normal"),
    "real_ap_normal": real.get("real_ap_normal"),
    "real_ap_all": real.get("real_ap_all"),
}
if "skipped" in real:
    out["real_skipped"] = real["skipped"]
out["causes"] = {k: v for k, v in causes.items() if k != "examples"}
out["sim"] = sim
out["real"] = real
print(json.dumps(out, indent=1))
PY
