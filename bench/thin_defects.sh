#!/usr/bin/env bash
# Measures how many simulated defects of each type the line catches: generates a training set of
# good parts and a disjoint test set (good parts and every defect type) with `linesight sim`,
# trains, runs `linesight inspect --json` (the line's own verdicts: hold counts as reject) and
# prints per type the share caught at the calibrated threshold, the false-reject rate on good
# parts, the image AUROC of the score per type and overall, and how often the type the line
# gives its most severe finding is the type drawn.
#   usage: bench/thin_defects.sh [TRAIN_GOOD] [TEST_GOOD] [PER_TYPE]    (default 200 300 60)
#   env:   LINESIGHT_BIN (default build/release/linesight), THIN_OUT (keep the work folder there),
#          THIN_RECIPE (recipe YAML passed to train)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${LINESIGHT_BIN:-$repo/build/release/linesight}
train_good=${1:-200}
test_good=${2:-300}
per_type=${3:-60}
types=6  # sim writes the defect types in turn (part_renderer.h)
[ -x "$bin" ] || { echo "thin_defects: no binary at $bin (build first)"; exit 1; }
if [ -n "${THIN_OUT:-}" ]; then work=$THIN_OUT; mkdir -p "$work"
else work=$(mktemp -d /tmp/linesight_thin.XXXXXX); trap 'rm -rf "$work"' EXIT; fi

# Training seeds 1.., test seeds 100001..: no test part was seen in training.
[ -d "$work/train/good" ] || "$bin" sim --out "$work/train" --good "$train_good" --defect 0 --seed 1 >/dev/null 2>&1
[ -d "$work/test/good" ] || "$bin" sim --out "$work/test" --good "$test_good" \
  --defect $((per_type * types)) --seed 100001 >/dev/null 2>&1
recipe=()
[ -n "${THIN_RECIPE:-}" ] && recipe=(--recipe "$THIN_RECIPE")
"$bin" train "${recipe[@]}" --good "$work/train/good" --out "$work/model.lsm" 2>/dev/null |
  grep -E 'threshold' || true
"$bin" inspect --model "$work/model.lsm" --json "$work/test/good" "$work/test/defect" \
  2>/dev/null > "$work/verdicts.jsonl" || true  # exit code says some parts were rejected
"$bin" bench --model "$work/model.lsm" --images "$work/test/good" --max-images 100 --json \
  2>/dev/null > "$work/bench.json" || true

# One line per part: type (good or the defect name from the file name), decision, score.
jq -r '[(.image | capture("part_[0-9]+_(?<t>[a-z_]+)\\.png").t), .decision, .score] | @tsv' \
  "$work/verdicts.jsonl" > "$work/verdicts.tsv"
awk -F'\t' '
  { n[$1]++; if ($2 != "pass") rej[$1]++; s[$1, n[$1]] = $3 }
  END {
    printf "%-10s %6s %8s %8s %8s\n", "type", "parts", "rejected", "share", "auroc"
    for (t in n) {
      share = rej[t] / n[t]
      auc = ""
      if (t != "good") {  # Mann-Whitney: P(defect score > good score), ties half
        w = 0
        for (i = 1; i <= n[t]; i++) for (j = 1; j <= n["good"]; j++) {
          d = s[t, i]; g = s["good", j]; w += (d > g) ? 1 : (d == g ? 0.5 : 0)
        }
        auc = sprintf("%.4f", w / (n[t] * n["good"]))
      }
      printf "%-10s %6d %8d %7.1f%% %8s\n", t, n[t], rej[t], 100 * share, auc
    }
  }' "$work/verdicts.tsv" | { read -r head; echo "$head"; sort; }
awk -F'\t' '
  $1 == "good" { g[++ng] = $3 } $1 != "good" { d[++nd] = $3 }
  END { w = 0; for (i = 1; i <= nd; i++) for (j = 1; j <= ng; j++) w += (d[i] > g[j]) ? 1 : (d[i] == g[j] ? 0.5 : 0)
        printf "all defects: image AUROC %.4f (%d defective, %d good)\n", w / (nd * ng), nd, ng }' \
  "$work/verdicts.tsv"
# The same parts at the threshold that rejects 1% of these good parts (what the engine separates,
# apart from how well the threshold was calibrated).
sort -t$'\t' -k3,3g "$work/verdicts.tsv" | awk -F'\t' '$1 == "good" { g[++ng] = $3 }
  { t[NR] = $1; s[NR] = $3 }
  END {
    cut = g[ng - int(ng / 100)]
    for (i = 1; i <= NR; i++) if (t[i] != "good") { n[t[i]]++; if (s[i] > cut) c[t[i]]++ }
    printf "at the score rejecting 1%% of the good test parts (%.3f):", cut
    for (k in n) printf " %s %d/%d", k, c[k], n[k]
    print ""
  }'
# Finding types (inspect/finding_type.h): the type of each rejected part's most severe finding
# against the type the simulator drew. A cold shut, a dark seam, is typed crack by design.
jq -r 'select(.decision == "reject") |
  [(.image | capture("part_[0-9]+_(?<t>[a-z_]+)\\.png").t), (.findings[0].type // "none")] | @tsv' \
  "$work/verdicts.jsonl" | awk -F'\t' '$1 != "good" {
    n[$1]++; want = ($1 == "cold_shut") ? "crack" : $1; if ($2 == want) ok[$1]++; else miss[$1] = miss[$1] " " $2
    all++; right += ($2 == want) }
  END {
    printf "typed right (first finding of rejected defective parts):"
    for (t in n) printf " %s %d/%d", t, ok[t], n[t]
    printf "; all %d/%d (%.1f%%)\n", right, all, all ? 100 * right / all : 0 }'
jq -r '"inspect time per part, one thread: \(.inspect_ms) ms (align \(.align_ms), score \(.score_ms)); \(.inspect_to_decode_ratio) x PNG decode"' \
  "$work/bench.json" 2>/dev/null || true
