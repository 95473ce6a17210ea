#!/usr/bin/env bash
# Sustained ingest into the factory server's store, in parts per second: Store::Ingest() in
# batches of 500 parts against a plain INSERT loop of the same rows (one transaction per batch),
# on SQLite (a file in a temp folder) and on a PostgreSQL 15 server this script starts on
# 127.0.0.1 (fsync on, as in production). Prints the bench's JSON summary.
#   usage: bench/ingest.sh [PARTS]      (default 100000)
#   env:   INGEST_BIN (default build/release/bench/ingest_bench), PGBIN
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${INGEST_BIN:-$repo/build/release/bench/ingest_bench}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
parts=${1:-100000}
[ -x "$bin" ] || { echo "ingest bench: no binary at $bin (cmake --build build/release --target ingest_bench)"; exit 1; }
[ -x "$pgbin/pg_ctl" ] || { echo "ingest bench: no PostgreSQL in $pgbin (apt-get install postgresql)"; exit 1; }
work=$(mktemp -d /tmp/linesight_ingest.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
stop() { as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap stop EXIT
as_pg "$pgbin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work" start >/dev/null
uri=postgresql://postgres@127.0.0.1:$port
"$pgbin/psql" -X -q "$uri/postgres" -c "CREATE DATABASE ingest" -c "CREATE DATABASE plain"
mkdir -p "$work/sqlite"
"$bin" "$work/sqlite" "$uri/ingest" "$uri/plain" "$parts"
