#!/usr/bin/env bash
# The docker-compose topology with local processes: PostgreSQL, the schema migration, two silos sharing it.
#
#   deploy/local-cluster.sh up       build (Release), start PostgreSQL and two silos, wait until both are healthy
#   deploy/local-cluster.sh check    both silos serve gRPC health and the membership table shows two active silos
#   deploy/local-cluster.sh down     stop the silos and PostgreSQL (data stays in .local-cluster/; rm it to start over)
#
# Ports (loopback only, which `check` verifies): gRPC 7070 (silo1) and 7071 (silo2), their web ports (office
# screens, JSON) 7080 and 7081 (gRPC + 10); silo-to-silo 11111/11112;
# gateways 30000/30001; PostgreSQL 55432 (trust authentication, so it must never listen wider). Override with
# SALESOPS_PG_PORT, SALESOPS_GRPC_PORTS="7070 7071". On loopback the silos need no API key (development identity).
# To use an existing PostgreSQL instead, set SALESOPS_CONNECTION (a Npgsql connection string); the database is
# created if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

state=.local-cluster
pg_port=${SALESOPS_PG_PORT:-55432}
read -r -a grpc_ports <<< "${SALESOPS_GRPC_PORTS:-7070 7071}"
silo_ports=(11111 11112)
gateway_ports=(30000 30001)
connection=${SALESOPS_CONNECTION:-"Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=salesops"}
# SALESOPS_CONFIGURATION=Debug uses the tests' build (CI's smoke check); Release otherwise.
configuration=${SALESOPS_CONFIGURATION:-Release}
server_dll=src/SalesOps.Server/bin/$configuration/net10.0/SalesOps.Server.dll

# shellcheck source=deploy/lib/postgres.sh
. deploy/lib/postgres.sh

start_postgres() {
  [ -n "${SALESOPS_CONNECTION:-}" ] && return
  mkdir -p "$state"
  pg_start "$PWD/$state/pg" "$pg_port"
  echo "PostgreSQL on 127.0.0.1:$pg_port"
}

stop_postgres() {
  [ -n "${SALESOPS_CONNECTION:-}" ] && return
  pg_stop "$PWD/$state/pg"
}

health() { dotnet "$server_dll" healthcheck --grpc-port "$1" >/dev/null 2>&1; }

up() {
  dotnet build -c "$configuration" src/SalesOps.Server -v quiet -nologo
  start_postgres
  dotnet "$server_dll" migrate --connection-string "$connection"
  for i in 0 1; do
    local pidfile="$state/silo$((i + 1)).pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then continue; fi
    nohup dotnet "$server_dll" --storage postgres --connection-string "$connection" --cluster-id local \
      --grpc-port "${grpc_ports[$i]}" --silo-port "${silo_ports[$i]}" --gateway-port "${gateway_ports[$i]}" \
      > "$state/silo$((i + 1)).log" 2>&1 &
    echo $! > "$pidfile"
  done
  for i in 0 1; do
    for _ in $(seq 1 90); do health "${grpc_ports[$i]}" && break; sleep 1; done
    health "${grpc_ports[$i]}" || { echo "silo$((i + 1)) did not become healthy; see $state/silo$((i + 1)).log" >&2; exit 1; }
    echo "silo$((i + 1)) serving gRPC on 127.0.0.1:${grpc_ports[$i]} (log: $state/silo$((i + 1)).log)"
  done
}

# loopback_only PORT...: fails if anything listens on one of these TCP ports on an address other than loopback.
loopback_only() {
  command -v ss >/dev/null 2>&1 || { echo "ss not found: listening addresses not checked" >&2; return 0; }
  local port wide
  for port in "$@"; do
    wide=$(ss -Hltn "sport = :$port" | awk '{print $4}' | grep -Ev '^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+$' || true)
    [ -z "$wide" ] || { echo "port $port listens beyond loopback: $wide" >&2; return 1; }
  done
}

check() {
  for i in 0 1; do
    health "${grpc_ports[$i]}" || { echo "silo$((i + 1)) on ${grpc_ports[$i]} is not serving" >&2; exit 1; }
  done
  if [ -z "${SALESOPS_CONNECTION:-}" ]; then
    local active
    active=$(as_pg "$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d salesops -Atc \
      "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = 'local' AND status = 3")
    [ "$active" = 2 ] || { echo "expected 2 active silos in the membership table, found $active" >&2; exit 1; }
  fi
  local ports=("${grpc_ports[@]}" "${silo_ports[@]}" "${gateway_ports[@]}" $((grpc_ports[0] + 10)) $((grpc_ports[1] + 10)))
  [ -n "${SALESOPS_CONNECTION:-}" ] || ports+=("$pg_port")
  loopback_only "${ports[@]}" || exit 1
  echo "both silos serving; 2 active members; nothing listens beyond loopback"
}

down() {
  for i in 1 2; do
    local pidfile="$state/silo$i.pid"
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 1; done
      kill -9 "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
  stop_postgres
  echo "stopped"
}

case "${1:-}" in
  up) up ;;
  check) check ;;
  down) down ;;
  *) echo "usage: $0 up|check|down" >&2; exit 2 ;;
esac
