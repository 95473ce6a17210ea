#!/usr/bin/env bash
# The factory dashboard's store queries (parts lists, counts, machines, yield, Pareto, reject
# rate, review queues) over N stored parts, on SQLite (a file in a temp folder) and on a
# PostgreSQL 15 server this script starts on 127.0.0.1. Fills each store through Store::Ingest()
# (progress on stderr; ~15-20 k parts/s, so 10 M parts take 10-15 minutes per engine), then times
# each query cold and as the median of 5. Prints one JSON object; goal: 200 ms per query.
#   usage: bench/queries.sh [PARTS]      (default 10000000)
#   env:   QUERIES_BIN (default build/release/bench/queries_bench), PGBIN,
#          ENGINES ("sqlite postgresql", the default, or one of them)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${QUERIES_BIN:-$repo/build/release/bench/queries_bench}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
parts=${1:-10000000}
engines=${ENGINES:-sqlite postgresql}
[ -x "$bin" ] || { echo "queries bench: no binary at $bin (cmake --build build/release --target queries_bench)"; exit 1; }
work=$(mktemp -d /tmp/linesight_queries.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop() { [ -d "$work/pg" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1; rm -rf "$work"; }
trap stop EXIT
stores=()
case " $engines " in *" sqlite "*) stores+=("$work/store.db") ;; esac
case " $engines " in
  *" postgresql "*)
    [ -x "$pgbin/pg_ctl" ] || { echo "queries bench: no PostgreSQL in $pgbin (apt-get install postgresql)"; exit 1; }
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work"
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    as_pg "$pgbin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 >/dev/null
    as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $work" start >/dev/null
    uri=postgresql://postgres@127.0.0.1:$port
    "$pgbin/psql" -X -q "$uri/postgres" -c "CREATE DATABASE queries"
    stores+=("$uri/queries")
    ;;
esac
"$bin" "${stores[@]}" --parts "$parts"
