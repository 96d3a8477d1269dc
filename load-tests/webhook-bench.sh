#!/usr/bin/env bash
# CRM-shaped webhook load: builds in Release, starts a server (memory or sqlite mode) on free loopback ports with a
# Standard Webhooks connector, runs `SalesOps.LoadTests webhooks` against it (signed deliveries of activities from
# concurrent senders), prints the acknowledgement latency and the server's CPU per event, and stops the server.
#
#   load-tests/webhook-bench.sh [memory|sqlite] [-- --concurrency 16 --events 10 --duration 20]
set -euo pipefail
cd "$(dirname "$0")/.."
storage=memory
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    memory|sqlite) storage=$1 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "webhook-bench.sh: unknown argument '$1' (expected memory, sqlite or -- options)" >&2; exit 2 ;;
  esac
  shift
done

configuration=${BENCH_CONFIGURATION:-Release}
work=$(mktemp -d)
base=$((20000 + (RANDOM % 400) * 100))
secret="whsec_$(head -c 32 /dev/urandom | base64)"
server_pid=''
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

dotnet build -c "$configuration" src/SalesOps.Server -v quiet -nologo
dotnet build -c "$configuration" load-tests/SalesOps.LoadTests -v quiet -nologo
server_dll=src/SalesOps.Server/bin/$configuration/net10.0/SalesOps.Server.dll
dotnet "$server_dll" --storage "$storage" --data-dir "$work/data" --grpc-port "$((base + 1))" --web-port "$((base + 2))" \
  --silo-port "$((base + 3))" --gateway-port "$((base + 4))" --Webhooks:Connectors:bench:Secret "$secret" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  dotnet "$server_dll" healthcheck --grpc-port "$((base + 1))" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server.log" >&2; exit 1; }
  sleep 1
done

echo "== webhooks ($storage) on http://127.0.0.1:$((base + 2))/webhooks/bench"
dotnet "load-tests/SalesOps.LoadTests/bin/$configuration/net10.0/SalesOps.LoadTests.dll" webhooks \
  --url "http://127.0.0.1:$((base + 2))/webhooks/bench" --secret "$secret" --server-pid "$server_pid" "${extra[@]}"
