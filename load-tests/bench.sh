#!/usr/bin/env bash
# The standard benchmark: builds in Release, starts on loopback what it needs (PostgreSQL for the SQL baseline and
# durable mode, redis-server for the Redis baseline, the SalesOps server), runs the load test, stops all it started.
#
#   load-tests/bench.sh [memory|sqlite|postgres] [--smoke] [-- extra load-test options]
#
# Writes load-tests/results/latest-<storage>.json and its plot latest-<storage>.svg (a --smoke run writes
# smoke-<storage>.json and .svg: a few seconds with a small company; it checks correctness, not speed). The ceilings
# (the domain alone, the transport alone) are measured first. Logs go to .bench/ (kept after a failure). PostgreSQL's data and
# socket live in a fresh folder under /tmp owned by the postgres user (removed on exit; its log is copied to .bench/
# after a failure), so the benchmark runs from any checkout, even one under a folder that user cannot enter.
# Environment: BENCH_PORT_BASE (default: random free range) to pin the ports; BENCH_AUTH=0 runs the server with its
# development identity and no credentials on the calls (to measure what authentication costs; default: the server
# requires credentials and the load test calls with API keys, as real clients do); BENCH_CEILINGS=0 skips the ceilings.
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_CONFIGURATION=Debug runs the tests' own build (CI's smoke runs, which time nothing); figures come from Release.
configuration=${BENCH_CONFIGURATION:-Release}

storage=memory
smoke=false
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    memory|sqlite|postgres) storage=$1 ;;
    --smoke) smoke=true ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (expected memory, sqlite, postgres, --smoke or -- options)" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# shellcheck source=deploy/lib/postgres.sh
. deploy/lib/postgres.sh

work=$PWD/.bench/$storage
[ "$smoke" = true ] && work=$work-smoke
rm -rf "$work" && mkdir -p "$work"
base=${BENCH_PORT_BASE:-$((20000 + (RANDOM % 400) * 100))}
pg_port=$base grpc_port=$((base + 1)) silo_port=$((base + 2)) gateway_port=$((base + 3)) redis_port=$((base + 4))
server_pid='' redis_started=false pg_started=false

# PostgreSQL runs as the postgres user when we are root: its data (and the socket, kept in it) must be where that user
# can reach, which a checkout under /root or a home folder is not. The tools run from inside that folder too, since
# they change back to the working directory they were started in.
pg_root=''
pg_data=''
in_pg_root() { (cd "$pg_root" && "$@"); }

cleanup() {
  local status=$?
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  [ "$redis_started" = true ] && { redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; }
  [ "$pg_started" = true ] && in_pg_root pg_stop "$pg_data"
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    cp "$pg_data/server.log" "$work/postgres.log" 2>/dev/null || true
    echo "bench.sh: failed; logs kept in $work" >&2
  fi
  [ -n "$pg_root" ] && rm -rf "$pg_root"
}
trap cleanup EXIT
pg_root=$(mktemp -d "${TMPDIR:-/tmp}/salesops-bench-pg.XXXXXX")
pg_data=$pg_root/data
# Without a postgres user (no PostgreSQL installed) there is nobody to hand it to; pg_bin says what is missing.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then chown postgres "$pg_root"; fi

echo "== building ($configuration)"
dotnet build -c "$configuration" src/SalesOps.Server -v quiet -nologo
dotnet build -c "$configuration" load-tests/SalesOps.LoadTests -v quiet -nologo

if [ "$smoke" = true ]; then
  report=load-tests/results/smoke-$storage.json
  profile=(--reps 200 --customers 500 --streams 4 --batch 200 --open-per-rep 2 --watchers 12 --alert-watchers 2 --browser-screens 8
    --warmup 1 --duration 3 --open-rates half --open-duration 3 --read-samples 50 --sql-checkpoints 2 --settle-timeout 60
    --warmup-max 2 --ceiling-duration 1 --ceiling-warmup-max 2)
else
  report=load-tests/results/latest-$storage.json
  # The capacity phase (1,000,000 open deals over 10,000 reps) measures memory, a memory-mode target; in postgres
  # mode loading it would take most of an hour at today's durable rate, so it runs only in memory mode.
  # The Orleans-hop ceiling too (a grain call carrying a batch to a grain that does nothing); the smoke run leaves it
  # out to keep its ceilings under 10 s.
  profile=(--orleans-hop true)
  [ "$storage" = memory ] && profile+=(--capacity-reps 10000)
fi

tool=load-tests/SalesOps.LoadTests/bin/$configuration/net10.0/SalesOps.LoadTests.dll
ceiling_args=()
if [ "${BENCH_CEILINGS:-1}" != 0 ]; then
  # Before anything else runs: the domain alone and the transport alone on the same event mix, so the report can give
  # the engine as a ratio of what this machine allows (load-tests/README.md, "Ceilings").
  echo "== ceilings: the domain alone, the transport alone"
  dotnet "$tool" ceilings "${profile[@]}" "${extra[@]}" --report "$work/ceilings.json"
  ceiling_args=(--ceilings "$work/ceilings.json")
fi

echo "== PostgreSQL on 127.0.0.1:$pg_port"
pg_started=true
in_pg_root pg_start "$pg_data" "$pg_port"

connection="Host=127.0.0.1;Port=$pg_port;Username=postgres"
in_pg_root as_pg "$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE baseline" >/dev/null

redis_args=()
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== installing redis-server (Debian package) for the Redis baseline"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1; } || true
fi
if command -v redis-server >/dev/null 2>&1; then
  # Durable runs compare with Redis appending every write to its log (fsync once a second); memory runs with none.
  persistence=(--save '' --appendonly no)
  [ "$storage" != memory ] && persistence=(--save '' --appendonly yes --appendfsync everysec)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --daemonize yes --logfile "$work/redis.log" "${persistence[@]}"
  redis_started=true
  for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis_args=(--redis "127.0.0.1:$redis_port")
  echo "== redis-server on 127.0.0.1:$redis_port"
else
  echo "== redis-server not available (apt-get install -y redis-server): the Redis baseline is skipped" >&2
fi

server_dll=src/SalesOps.Server/bin/$configuration/net10.0/SalesOps.Server.dll
server_args=(--grpc-port "$grpc_port" --silo-port "$silo_port" --gateway-port "$gateway_port" --storage "$storage")
if [ "$storage" = postgres ]; then
  server_args+=(--connection-string "$connection;Database=salesops" --migrate)
elif [ "$storage" = sqlite ]; then
  server_args+=(--data-dir "$work/data")
fi
auth_args=()
if [ "${BENCH_AUTH:-1}" != 0 ]; then
  # Credentials required, as in production: the load test makes its keys with this bootstrap admin key.
  (umask 077; head -c 32 /dev/urandom | base64 > "$work/admin-key")
  server_args+=(--Auth:Required true --Auth:BootstrapAdminKeyFile "$work/admin-key")
  auth_args=(--admin-key-file "$work/admin-key")
fi
echo "== SalesOps server ($storage) on 127.0.0.1:$grpc_port"
dotnet "$server_dll" "${server_args[@]}" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  dotnet "$server_dll" healthcheck --grpc-port "$grpc_port" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited; see $work/server.log" >&2; tail -20 "$work/server.log" >&2; exit 1; }
  sleep 1
done

database_args=()
if [ "$storage" = postgres ]; then
  # The database's CPU is the other half of a durable event's cost (its backends are the postmaster's children).
  database_args=(--database-pid "$(head -1 "$pg_data/postmaster.pid")")
fi

echo "== load test"
dotnet "$tool" \
  --server "http://127.0.0.1:$grpc_port" --server-pid "$server_pid" "${database_args[@]}" --storage "$storage" \
  --sql "$connection;Database=baseline" "${redis_args[@]}" --report "$report" "${auth_args[@]}" "${ceiling_args[@]}" "${profile[@]}" "${extra[@]}"
