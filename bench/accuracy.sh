#!/usr/bin/env bash
# Reproduces linesight's accuracy and speed figures on the real images in ../shared/data (casting
# impellers and magnetic tiles). Skips with a message when that folder is absent. The images are
# only read from there: the splits are folders of symbolic links under a temp dir.
#   usage: bench/accuracy.sh [DATA_DIR]     (default: <repo>/../shared/data or $LINESIGHT_DATA)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-${LINESIGHT_DATA:-$repo/../shared/data}}
bin=${LINESIGHT_BIN:-$repo/build/release/linesight}
if [ ! -d "$data/casting/good" ]; then
  echo "accuracy: SKIPPED - no data at $data (expects casting/ and magnetic_tile/, see docs/guide.md)"
  exit 0
fi
[ -x "$bin" ] || { cmake --preset release >/dev/null && cmake --build --preset release; }
work=$(mktemp -d /tmp/linesight_accuracy.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=${ACCURACY_OUT:-$repo/build/accuracy}
mkdir -p "$out"

echo "== casting: train on 200 good (every 10th), test on the other good and all defective =="
mkdir -p "$work/c/train" "$work/c/good" "$work/c/defect"
i=0
for f in $(ls "$data/casting/good" | sort); do
  i=$((i + 1))
  if [ $((i % 10)) -eq 0 ] && [ $i -le 2000 ]; then ln -s "$data/casting/good/$f" "$work/c/train/"
  else ln -s "$data/casting/good/$f" "$work/c/good/"; fi
done
for f in "$data"/casting/defect/*; do ln -s "$f" "$work/c/defect/"; done
"$bin" train --good "$work/c/train" --out "$out/casting.lsm" --max-images 200 2>/dev/null
"$bin" eval --model "$out/casting.lsm" --good "$work/c/good" --defect "$work/c/defect" \
  --report "$out/casting.html" --json 2>/dev/null | tee "$out/casting.json"
echo "-- same images with random exposure (gain 0.6-1.5) and gamma (0.7-1.4):"
"$bin" eval --model "$out/casting.lsm" --good "$work/c/good" --defect "$work/c/defect" \
  --vary-exposure 7 --report "$out/casting_exposure.html" --json 2>/dev/null | tee "$out/casting_exposure.json"
echo "-- speed (one core):"
"$bin" bench --model "$out/casting.lsm" --images "$work/c/good" --max-images 300 --json 2>/dev/null \
  | tee "$out/casting_bench.json"

if [ -d "$data/magnetic_tile/Free" ]; then
  echo "== magnetic tile (no symmetry): train on 200 of Free, test on the rest and the defect classes, with masks =="
  mkdir -p "$work/m/train" "$work/m/good" "$work/m/defect"
  i=0
  for f in $(ls "$data/magnetic_tile/Free" | grep '\.jpg$' | sort); do
    i=$((i + 1))
    if [ $((i % 3)) -ne 2 ] && [ $i -le 300 ]; then ln -s "$data/magnetic_tile/Free/$f" "$work/m/train/"
    else ln -s "$data/magnetic_tile/Free/$f" "$work/m/good/"; fi
  done
  for c in Blowhole Break Crack Fray Uneven; do
    for f in "$data/magnetic_tile/$c"/*.jpg; do
      b=$(basename "$f" .jpg)
      ln -s "$f" "$work/m/defect/${c}_$b.jpg"
      ln -s "${f%.jpg}.png" "$work/m/defect/${c}_$b.png"
    done
  done
  printf 'version: 1\nname: magnetic_tile\npart:\n  symmetry: none\n  layout: blocks\n' > "$work/tile.yaml"
  "$bin" train --recipe "$work/tile.yaml" --good "$work/m/train" --out "$out/tile.lsm" --max-images 200 2>/dev/null
  "$bin" eval --model "$out/tile.lsm" --good "$work/m/good" --defect "$work/m/defect" \
    --report "$out/tile.html" --json 2>/dev/null | tee "$out/tile.json"
fi
echo "reports and JSON in $out"
