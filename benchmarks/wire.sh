#!/usr/bin/env bash
# The wire benchmark: omniroute-load against a real omniroute-server over
# gRPC on 127.0.0.1, once with the store in memory and once on SQLite with
# --durability=sync (fsync before each acknowledgement), and on PostgreSQL
# when WIRE_STORES names it (a throw-away PostgreSQL 15 started by
# tools/cluster.sh --nodes=0, on a unix socket, with its defaults: fsync and
# synchronous_commit on). For each store: ping
# (the transport's ceiling), ingest and mixed closed loop at the same
# concurrency, then ingest open loop at half the ingest throughput just
# measured, for its latency below saturation.
#
#   bash benchmarks/wire.sh OUT_DIR [BUILD_DIR]     # BUILD_DIR: build/release
#
# Writes each run's JSON and text report and a table, wire.md, to OUT_DIR.
# WIRE_CONCURRENCY (64), WIRE_DURATION (8s) and WIRE_WARMUP (2s) change the
# runs; the defaults take about two minutes. WIRE_STORES lists the stores
# (default "memory sqlite"; any of memory, sqlite, postgresql). OMNIROUTE_SERVER names another
# server binary (to compare two builds with the same generator). WIRE_SERVER_FLAGS adds
# flags to every server started (e.g. "--metrics_listen=127.0.0.1:0", to measure the
# metrics' cost).
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
stores="${WIRE_STORES:-memory sqlite}"
server_bin="${OMNIROUTE_SERVER:-${build}/tools/omniroute-server}"
read -r -a server_flags <<< "${WIRE_SERVER_FLAGS:-}"
load_bin="${build}/tools/omniroute-load"
for bin in "${server_bin}" "${load_bin}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} not found; build it first (bash tools/build.sh release)" >&2
    exit 1
  fi
done
mkdir -p "${out}"
work="$(mktemp -d)"
server_pid=""
postgres_pid=""

stop_server() {
  if [[ -n "${server_pid}" ]]; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
    server_pid=""
  fi
}
stop_postgres() {
  if [[ -n "${postgres_pid}" ]]; then
    kill -TERM "${postgres_pid}" 2>/dev/null || true
    wait "${postgres_pid}" 2>/dev/null || true
    postgres_pid=""
  fi
}
cleanup() {
  stop_server
  stop_postgres
  rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts omniroute-server with the given store flags on a free port; sets
# `port` once it has written its port file.
start_server() {
  local name="$1"
  shift
  rm -f "${work}/port"
  "${server_bin}" --listen=127.0.0.1:0 --port_file="${work}/port" "$@" "${server_flags[@]}" \
    2> "${out}/server-${name}.log" &
  server_pid=$!
  for _ in $(seq 600); do
    [[ -s "${work}/port" ]] && break
    if ! kill -0 "${server_pid}" 2>/dev/null; then
      echo "$0: omniroute-server (${name}) exited:" >&2
      cat "${out}/server-${name}.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  port="$(cat "${work}/port")"
}

# One omniroute-load run: name, then its flags.
run_load() {
  local name="$1"
  shift
  echo "== ${name}"
  "${load_bin}" --target="127.0.0.1:${port}" --duration="${duration}" --warmup="${warmup}" \
    --json="${out}/${name}.json" "$@" | tee "${out}/${name}.txt"
}

# A number from a run's JSON: file, then a Python expression on `r`.
json_value() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# A throw-away PostgreSQL (tools/cluster.sh --nodes=0); sets `postgres_uri`.
start_postgres() {
  bash "$(dirname "${BASH_SOURCE[0]}")/../tools/cluster.sh" --nodes=0 \
    > "${work}/postgres.out" 2> "${out}/postgres.log" &
  postgres_pid=$!
  for _ in $(seq 1200); do
    grep -q '^store ' "${work}/postgres.out" 2>/dev/null && break
    if ! kill -0 "${postgres_pid}" 2>/dev/null; then
      echo "$0: tools/cluster.sh exited:" >&2
      cat "${out}/postgres.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  postgres_uri="$(sed -n 's/^store //p' "${work}/postgres.out")"
}

for store in ${stores}; do
  case "${store}" in
    memory) start_server "${store}" --in_memory ;;
    sqlite) start_server "${store}" --data_dir="${work}/data" --durability=sync ;;
    postgresql)
      start_postgres
      start_server "${store}" --store="${postgres_uri}"
      ;;
    *) echo "$0: WIRE_STORES: unknown store ${store}" >&2; exit 2 ;;
  esac
  run_load "ping-${store}" --workload=ping --concurrency="${concurrency}"
  run_load "ingest-${store}" --workload=ingest --concurrency="${concurrency}"
  run_load "mixed-${store}" --workload=mixed --concurrency="${concurrency}"
  saturation="$(json_value "${out}/ingest-${store}.json" "r['rpcs']['IngestMessage']['throughput']")"
  rate="$(python3 -c "print(max(1, round(${saturation} / 2)))")"
  run_load "ingest-open-${store}" --workload=ingest --rate="${rate}"
  stop_server
  stop_postgres
done

python3 - "${out}" "${concurrency}" "${duration}" "${warmup}" ${stores} > "${out}/wire.md" <<'PY'
import json, os, sys
out, concurrency, duration, warmup = sys.argv[1:5]
stores = sys.argv[5:]
def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)
print("| workload | store | load | throughput, calls/s | p50 µs | p99 µs | p99.9 µs | errors | ingest ÷ ping |")
print("|---|---|---|---|---|---|---|---|---|")
for store in stores:
    ping = load(f"ping-{store}")["rpcs"]["Ping"]["throughput"]
    for workload, rpc in (("ping", "Ping"), ("ingest", "IngestMessage"),
                          ("mixed", "IngestMessage"), ("ingest-open", "IngestMessage")):
        r = load(f"{workload}-{store}")
        s = r["rpcs"][rpc]
        lat = s["latency_us"]
        if r["mode"] == "open":
            how = f"open loop, {r['rate']:.0f}/s"
        else:
            how = f"closed loop, {r['concurrency']}"
        if workload == "mixed":
            # All calls of the mix (agents' included); latencies of its ingests.
            throughput = f"{r['total']['throughput']:.0f} (ingest {s['throughput']:.0f})"
        else:
            throughput = f"{s['throughput']:.0f}"
        ratio = f"{s['throughput'] / ping:.2f}" if workload == "ingest" else ""
        name = "mixed (latency of IngestMessage)" if workload == "mixed" else workload
        print(f"| {name} | {store} | {how} | {throughput} | {lat['p50']:.0f} | {lat['p99']:.0f} "
              f"| {lat['p99_9']:.0f} | {r['total']['errors']} | {ratio} |")
print()
print(f"Each run: {warmup} warm-up, then {duration} measured; memory: --in_memory, "
      f"sqlite: --durability=sync, postgresql: PostgreSQL 15 on a unix socket with its "
      f"defaults. Open loop at half the closed-loop ingest throughput.")
PY
cat "${out}/wire.md"
