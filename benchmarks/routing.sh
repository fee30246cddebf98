#!/usr/bin/env bash
# The routing throughput benchmark: one command, three levels of omniroute
# and the alternative teams build instead, on this machine.
#
#   matcher   omniroute_routing_benchmark, BM_TaskArrivesAndAssigned: a task
#             arrives, its best agent is chosen, it leaves the queue and the
#             agent's load and round-robin counter change (and change back):
#             decisions per second, one core, at 1k, 10k, 100k and 1M waiting
#             tasks, with 10,000 and 50,000 agents (routing_workload.h).
#   engine    omniroute_engine_routing_benchmark: whole cycles through
#             Engine (a customer's chat message creates a task that is
#             offered, accepted and completed; every event stored and
#             applied): cycles per second in memory and on SQLite with sync,
#             from 1 and 8 callers.
#   wire      omniroute-server (store in memory) on 127.0.0.1 and
#             omniroute-load: ping, closed loop, then the offers workload at
#             the same concurrency (new customers write; agents holding
#             StreamOffers accept and complete every offer): offers received
#             per second, the time from a task's creation to its offer's
#             arrival (p50, p99), and offers ÷ ping.
#   baseline  omniroute_skip_locked_benchmark: the matcher next to a
#             PostgreSQL table claimed with SELECT ... FOR UPDATE SKIP LOCKED
#             (skip_locked/baseline.sql) at 1k and 100k waiting tasks, on a
#             PostgreSQL 15 the program starts itself (fsync on).
#
#   bash benchmarks/routing.sh OUT_DIR [BUILD_DIR]     # BUILD_DIR: build/release
#
# Writes OUT_DIR/routing.md (the table), OUT_DIR/routing.svg (decisions per
# second against waiting tasks), and each program's own output beside them.
# About 6 minutes on a 2-core machine. ROUTING_QUICK=1 makes every run short
# (a check that the script works; its figures are not for reading).
# ROUTING_WIRE_CONCURRENCY (64) and ROUTING_WIRE_AGENTS (32) change the wire
# runs.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUT_DIR [BUILD_DIR]" >&2
  exit 2
fi
out="$1"
build="${2:-build/release}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
concurrency="${ROUTING_WIRE_CONCURRENCY:-64}"
agents="${ROUTING_WIRE_AGENTS:-32}"
if [[ "${ROUTING_QUICK:-0}" == 1 ]]; then
  min_time=0.05
  wire_duration=1s
  wire_warmup=200ms
  baseline_seconds=0.5
else
  min_time=1
  wire_duration=8s
  wire_warmup=2s
  baseline_seconds=5
fi
matcher_bin="${build}/benchmarks/omniroute_routing_benchmark"
engine_bin="${build}/benchmarks/omniroute_engine_routing_benchmark"
baseline_bin="${build}/benchmarks/omniroute_skip_locked_benchmark"
server_bin="${build}/tools/omniroute-server"
load_bin="${build}/tools/omniroute-load"
for bin in "${matcher_bin}" "${engine_bin}" "${baseline_bin}" "${server_bin}" "${load_bin}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} not found; build it first (bash tools/build.sh release)" >&2
    exit 1
  fi
done
mkdir -p "${out}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "${server_pid}" ]]; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== matcher (omniroute_routing_benchmark)"
"${matcher_bin}" --benchmark_filter='^BM_TaskArrivesAndAssigned/' \
  --benchmark_min_time="${min_time}" --benchmark_out="${out}/matcher.json" \
  --benchmark_out_format=json | tee "${out}/matcher.txt"

echo "== engine (omniroute_engine_routing_benchmark)"
"${engine_bin}" --benchmark_min_time="${min_time}" --benchmark_out="${out}/engine.json" \
  --benchmark_out_format=json | tee "${out}/engine.txt"

echo "== wire (omniroute-server --in_memory, omniroute-load)"
"${server_bin}" --listen=127.0.0.1:0 --port_file="${work}/port" --in_memory \
  2> "${out}/server.log" &
server_pid=$!
for _ in $(seq 600); do
  [[ -s "${work}/port" ]] && break
  if ! kill -0 "${server_pid}" 2>/dev/null; then
    echo "$0: omniroute-server exited:" >&2
    cat "${out}/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ ! -s "${work}/port" ]]; then
  echo "$0: omniroute-server wrote no port within a minute" >&2
  exit 1
fi
port="$(cat "${work}/port")"
for workload in ping offers; do
  "${load_bin}" --target="127.0.0.1:${port}" --workload="${workload}" \
    --concurrency="${concurrency}" --agents="${agents}" --duration="${wire_duration}" \
    --warmup="${wire_warmup}" --json="${out}/wire-${workload}.json" | tee "${out}/wire-${workload}.txt"
done
kill -TERM "${server_pid}"
wait "${server_pid}" || true
server_pid=""

echo "== baseline (omniroute_skip_locked_benchmark)"
"${baseline_bin}" --waiting=1000,100000 --seconds="${baseline_seconds}" | tee "${out}/baseline.txt"

python3 "${here}/routing_report.py" "${out}" "$(nproc)" "$(uname -m)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo
cat "${out}/routing.md"
echo "chart: ${out}/routing.svg"
