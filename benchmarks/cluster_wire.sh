#!/usr/bin/env bash
# Ingest over the wire through a cluster node that does not own the tenant
# (it forwards every call to the owner) next to ingest through the owner:
# two omniroute-server nodes on a throw-away PostgreSQL 15 (tools/cluster.sh,
# on a unix socket, with its defaults: fsync and synchronous_commit on), and
# omniroute-load's ingest closed loop entering at node 1, each run with a
# fresh tenant, until one tenant was placed on node 1 and one on node 2.
# (benchmarks/wire.sh with WIRE_STORES=postgresql gives the single-server
# table on PostgreSQL.)
#
#   bash benchmarks/cluster_wire.sh OUT_DIR [BUILD_DIR]     # BUILD_DIR: build/release
#
# Writes each run's JSON and text report and a table, cluster-wire.md, to
# OUT_DIR. WIRE_CONCURRENCY (64), WIRE_DURATION (8s) and WIRE_WARMUP (2s)
# change the runs.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUT_DIR [BUILD_DIR]" >&2
  exit 2
fi
out="$1"
build="${2:-build/release}"
concurrency="${WIRE_CONCURRENCY:-64}"
duration="${WIRE_DURATION:-8s}"
warmup="${WIRE_WARMUP:-2s}"
server_bin="${build}/tools/omniroute-server"
load_bin="${build}/tools/omniroute-load"
cli_bin="${build}/tools/omniroute"
for bin in "${server_bin}" "${load_bin}" "${cli_bin}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} not found; build it first (bash tools/build.sh release)" >&2
    exit 1
  fi
done
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "${out}"
work="$(mktemp -d)"
cluster_pid=""

stop_all() {
  if [[ -n "${cluster_pid}" ]]; then
    kill -TERM "${cluster_pid}" 2>/dev/null || true
    wait "${cluster_pid}" 2>/dev/null || true
    cluster_pid=""
  fi
}
cleanup() {
  stop_all
  rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts tools/cluster.sh with `nodes` nodes; sets `store` and `nodes_up`
# (their addresses) once it has printed its store line.
start_cluster() {
  local nodes="$1"
  OMNIROUTE_SERVER="${server_bin}" bash "${here}/tools/cluster.sh" --nodes="${nodes}" \
    --lease_ms=2000 > "${work}/cluster.out" 2> "${out}/cluster-${nodes}.log" &
  cluster_pid=$!
  for _ in $(seq 1200); do
    grep -q '^store ' "${work}/cluster.out" 2>/dev/null && break
    if ! kill -0 "${cluster_pid}" 2>/dev/null; then
      echo "$0: tools/cluster.sh exited:" >&2
      cat "${out}/cluster-${nodes}.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  store="$(sed -n 's/^store //p' "${work}/cluster.out")"
  mapfile -t nodes_up < <(awk '/^node-/ {print $2}' "${work}/cluster.out")
}

# One omniroute-load run: name, target, then its flags.
run_load() {
  local name="$1" target="$2"
  shift 2
  echo "== ${name}"
  "${load_bin}" --target="${target}" --duration="${duration}" --warmup="${warmup}" \
    --json="${out}/${name}.json" "$@" | tee "${out}/${name}.txt"
}

# The node of `addresses` that holds `tenant`.
owner_of() {
  local tenant="$1"
  shift
  for address in "$@"; do
    if "${cli_bin}" --server="${address}" --json node |
      python3 -c 'import json,sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin).get("heldTenantIds", []) else 1)' "${tenant}"; then
      echo "${address}"
      return
    fi
  done
}

# Every run enters at node 1, with a fresh tenant each, until
# one tenant was owned by node 1 and one by node 2.
start_cluster 2
entry="${nodes_up[0]}"
owner_run=""
forwarded_run=""
for i in $(seq 1 12); do
  tenant="wire-$i"
  run_load "cluster-${tenant}" "${entry}" --workload=ingest --concurrency="${concurrency}" \
    --tenant="${tenant}"
  owner="$(owner_of "${tenant}" "${nodes_up[@]}")"
  if [[ "${owner}" == "${entry}" && -z "${owner_run}" ]]; then
    owner_run="cluster-${tenant}"
  elif [[ -n "${owner}" && "${owner}" != "${entry}" && -z "${forwarded_run}" ]]; then
    forwarded_run="cluster-${tenant}"
  fi
  [[ -n "${owner_run}" && -n "${forwarded_run}" ]] && break
done
stop_all
if [[ -z "${owner_run}" || -z "${forwarded_run}" ]]; then
  echo "$0: no tenant placed on each node in 12 tries" >&2
  exit 1
fi

python3 - "${out}" "${concurrency}" "${duration}" "${warmup}" "${owner_run}" "${forwarded_run}" \
  > "${out}/cluster-wire.md" <<'PY'
import json, os, sys
out, concurrency, duration, warmup, owner_run, forwarded_run = sys.argv[1:7]
def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)
print("| ingest through node 1, closed loop | throughput, calls/s | p50 µs | p99 µs | p99.9 µs | errors |")
print("|---|---|---|---|---|---|")
results = {}
for label, run in (("tenant owned by node 1", owner_run), ("tenant owned by node 2 (forwarded)", forwarded_run)):
    r = load(run)
    s = r["rpcs"]["IngestMessage"]
    lat = s["latency_us"]
    results[label] = s["throughput"]
    print(f"| {label} | {s['throughput']:.0f} | {lat['p50']:.0f} | {lat['p99']:.0f} | {lat['p99_9']:.0f} | {r['total']['errors']} |")
print()
owner, forwarded = results.values()
print(f"Forwarded ÷ owner: {forwarded / owner:.2f}. Each run: {warmup} warm-up, then {duration} "
      f"measured, concurrency {concurrency}; PostgreSQL 15 with its defaults (fsync and "
      f"synchronous_commit on) on a unix socket, started by tools/cluster.sh.")
PY
cat "${out}/cluster-wire.md"
