#!/usr/bin/env bash
# A local omniroute cluster: a fresh PostgreSQL 15 (initdb into a temporary
# directory, served on a unix socket there, no TCP port) and N
# omniroute-server nodes on it, each on a free 127.0.0.1 port (port 0, read
# back from --port_file). Prints each node's address, then waits; on exit,
# Ctrl-C or SIGTERM it stops the nodes (SIGTERM: each hands its tenants off)
# and PostgreSQL, and removes the directory.
#
#   bash tools/cluster.sh [--nodes=3] [--lease_ms=2000] [-- other omniroute-server flags]
#
# --nodes=0 starts PostgreSQL alone (for a server, or a benchmark, of your
# own on it). The last line printed before it waits is "store <URI>".
#
# Environment: OMNIROUTE_SERVER (default build/dev/tools/omniroute-server),
# PG_BIN (default /usr/lib/postgresql/15/bin). PostgreSQL refuses to run as
# root: as root, initdb and postgres run as the unprivileged user "postgres"
# (Debian's postgresql package creates it), which then owns the directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

nodes=3
lease_ms=2000
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes=*) nodes="${1#--nodes=}" ;;
    --lease_ms=*) lease_ms="${1#--lease_ms=}" ;;
    --) shift; extra=("$@"); break ;;
    *) echo "cluster.sh: unknown argument $1 (see the header of tools/cluster.sh)" >&2; exit 2 ;;
  esac
  shift
done
if ! [[ "$nodes" =~ ^[0-9]+$ ]]; then
  echo "cluster.sh: --nodes: must be a number (0: PostgreSQL alone), got \"$nodes\"" >&2
  exit 2
fi

server="${OMNIROUTE_SERVER:-build/dev/tools/omniroute-server}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$server" ]]; then
  echo "cluster.sh: no omniroute-server at $server: build it (ninja -C build/dev omniroute-server) or set OMNIROUTE_SERVER" >&2
  exit 2
fi
if [[ ! -x "$pg_bin/initdb" || ! -x "$pg_bin/postgres" ]]; then
  echo "cluster.sh: no PostgreSQL 15 in $pg_bin (apt-get install postgresql-15, or set PG_BIN)" >&2
  exit 2
fi

dir="$(mktemp -d /tmp/omniroute-cluster-XXXXXX)"
as_pg=()
if [[ "$(id -u)" == 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "cluster.sh: running as root, but there is no \"postgres\" user to run PostgreSQL as" >&2
    exit 2
  fi
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
fi

pg_pid=""
node_pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$pg_pid" ]]; then
    # PostgreSQL's fast shutdown, sent to the postmaster itself: runuser
    # (as root) passes SIGINT on to nothing, and would be waited for ever.
    local postmaster=""
    [[ -r "$dir/data/postmaster.pid" ]] && postmaster="$(head -n 1 "$dir/data/postmaster.pid")"
    kill -INT "${postmaster:-$pg_pid}" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U omniroute -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
  { echo "cluster.sh: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pg_bin/postgres" -D "$dir/data" -c listen_addresses= \
  -c "unix_socket_directories=$dir" >"$dir/postgres.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 600); do
  [[ -S "$dir/.s.PGSQL.5432" ]] && break
  kill -0 "$pg_pid" 2>/dev/null || { echo "cluster.sh: postgres exited:" >&2; tail -n 20 "$dir/postgres.log" >&2; exit 1; }
  sleep 0.1
done
[[ -S "$dir/.s.PGSQL.5432" ]] || { echo "cluster.sh: postgres did not start within 60s" >&2; exit 1; }
store="postgresql:///postgres?host=$dir&user=omniroute"

for i in $(seq 1 "$nodes"); do
  "$server" --listen=127.0.0.1:0 --store="$store" --node_id="node-$i" --lease_ms="$lease_ms" \
    --port_file="$dir/node-$i.port" "${extra[@]}" >"$dir/node-$i.log" 2>&1 &
  node_pids+=($!)
done
for i in $(seq 1 "$nodes"); do
  for _ in $(seq 1 600); do
    [[ -s "$dir/node-$i.port" ]] && break
    kill -0 "${node_pids[$((i - 1))]}" 2>/dev/null ||
      { echo "cluster.sh: node-$i exited:" >&2; cat "$dir/node-$i.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -s "$dir/node-$i.port" ]] || { echo "cluster.sh: node-$i did not listen within 60s" >&2; exit 1; }
  echo "node-$i 127.0.0.1:$(cat "$dir/node-$i.port") (pid ${node_pids[$((i - 1))]}, log $dir/node-$i.log)"
done
echo "store $store"
echo "cluster.sh: running; Ctrl-C stops every node and PostgreSQL" >&2
if [[ "$nodes" -eq 0 ]]; then
  wait "$pg_pid"
else
  wait "${node_pids[@]}"
fi
