# Shared by deploy/local-cluster.sh and load-tests/bench.sh: a throwaway PostgreSQL from the machine's binaries.
# Source it; it defines pg_bin, as_pg, pg_start DATA_DIR PORT and pg_stop DATA_DIR.

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then dir=$(dirname "$(command -v pg_ctl)"); fi
  [ -n "$dir" ] || { echo "PostgreSQL binaries not found: install the postgresql package (apt-get install -y postgresql)" >&2; return 1; }
  echo "$dir"
}

# initdb and pg_ctl refuse to run as root: use the postgres account then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DATA_DIR PORT: initialises DATA_DIR if it is empty, then starts the server on 127.0.0.1:PORT.
pg_start() {
  local bin data=$1 port=$2
  bin=$(pg_bin) || return 1
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data" "$(dirname "$data")"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $data" start >/dev/null
  fi
}

# pg_stop DATA_DIR: stops the server if one runs there.
pg_stop() {
  local data=$1
  [ -f "$data/PG_VERSION" ] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}
