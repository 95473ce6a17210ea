#!/usr/bin/env bash
# End-to-end: `linesight demo` (its factory server, stations uplinking, simulated cell) and the
# dashboard in Debian's headless Chromium (web/e2e/dashboard.e2e.mjs, playwright-core): log in,
# watch parts arrive live, filter, open a part, overrule its verdict, check it is stored and
# audited. Usage: dashboard_e2e.sh LINESIGHT_BINARY SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
if [ ! -f "$src/web/dist/index.html" ] || [ ! -d "$src/web/node_modules/playwright-core" ]; then
  echo "dashboard_e2e: the dashboard is not built: run scripts/build-web.sh (scripts/test.sh does)" >&2
  exit 1
fi
command -v chromium >/dev/null || { echo "dashboard_e2e: needs chromium (apt-get install chromium)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/ls-e2e.XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" demo --out "$tmp/demo" --hours 2 --speed 60 --train 40 --listen "127.0.0.1:$port" \
  >"$tmp/demo.log" 2>&1 &
demo=$!
finish() {
  kill -TERM "$demo" 2>/dev/null || true  # SIGINT is ignored by background jobs of a script
  wait "$demo" 2>/dev/null || true
  rm -rf "$tmp"
}
trap finish EXIT
for _ in $(seq 1 600); do
  [ -s "$tmp/demo/admin-password.txt" ] && curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 "$demo" 2>/dev/null || { echo "dashboard_e2e: the demo ended early:"; cat "$tmp/demo.log"; exit 1; }
  sleep 0.2
done
cd "$src/web"
if ! LS_URL="http://127.0.0.1:$port" LS_USER=admin LS_PASSWORD="$(cat "$tmp/demo/admin-password.txt")" \
  LS_SHOTS="${LS_SHOTS:-}" node e2e/dashboard.e2e.mjs; then
  echo "--- demo log"; tail -50 "$tmp/demo.log"
  exit 1
fi
