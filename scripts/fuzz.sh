#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset, clang) and runs each for SECONDS (default 30) on a
# scratch copy of fuzz/corpus, so the committed corpus is never changed. Exits 1 if any fuzzer
# finds a crash, a sanitizer report, a stray exception or a timeout; the inputs that did it are
# copied to build/fuzz/findings/ and the log is printed. See fuzz/README.md.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds per fuzzer, default 30)" >&2
  exit 2
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d /tmp/linesight_fuzz.XXXXXX)
findings=build/fuzz/findings
status=0
for name in image model; do
  fuzzer=build/fuzz/fuzz/${name}_loader_fuzz
  dir=$work/$name
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp fuzz/corpus/"$name"/* "$dir/corpus/"
  echo "== ${name}_loader_fuzz: ${seconds} s"
  if "$fuzzer" -max_total_time="$seconds" -timeout=10 -dict=fuzz/"$name".dict \
      -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -n 1
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$dir/log" || true
  else
    status=1
    tail -n 80 "$dir/log"
    mkdir -p "$findings"
    cp "$dir"/artifacts/* "$findings"/ 2>/dev/null || true
    echo "FINDING in ${name}_loader_fuzz: inputs in $findings/, full log in $dir/log" >&2
  fi
done
if [ "$status" -eq 0 ]; then
  rm -rf "$work"
  echo "no findings"
fi
exit "$status"
