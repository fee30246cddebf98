#!/usr/bin/env bash
# Failover time of a killed cluster node, for a tenant of each size: for
# every size a fresh PostgreSQL 15 (tools/cluster.sh --nodes=0), and on it
# omniroute_failover_benchmark, which starts the nodes itself, fills one
# tenant with omniroute-load and SIGKILLs its owner again and again (the
# header of benchmarks/failover_benchmark.cc says how it measures).
#
#   bash benchmarks/failover.sh [OUT_DIR] [BUILD_DIR]     # BUILD_DIR: build/release
#
# FAILOVER_SIZES ("10000 1000000": events in the tenant), FAILOVER_KILLS (20),
# FAILOVER_LEASE_MS (2000) and FAILOVER_NODES (2) change the runs. Each
# size's report goes to OUT_DIR/failover-<events>.txt and the terminal, the
# nodes' and omniroute-load's logs to OUT_DIR/<events>/. OUT_DIR defaults to
# a new directory in /tmp. Build first:
#   ninja -C build/release omniroute_failover_benchmark omniroute-server omniroute-load
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d /tmp/omniroute-failover-XXXXXX)}"
build="${2:-build/release}"
sizes="${FAILOVER_SIZES:-10000 1000000}"
kills="${FAILOVER_KILLS:-20}"
lease_ms="${FAILOVER_LEASE_MS:-2000}"
nodes="${FAILOVER_NODES:-2}"
server_bin="$(cd "${build}" && pwd)/tools/omniroute-server"
bench_bin="${build}/benchmarks/omniroute_failover_benchmark"
for bin in "${server_bin}" "${build}/tools/omniroute-load" "${bench_bin}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} not found; build it first (ninja -C ${build} omniroute_failover_benchmark omniroute-server omniroute-load)" >&2
    exit 1
  fi
done
mkdir -p "${out}"

cluster_pid=""
cluster_out=""
stop_postgres() {
  if [[ -n "${cluster_pid}" ]]; then
    kill -TERM "${cluster_pid}" 2>/dev/null || true
    wait "${cluster_pid}" 2>/dev/null || true
    cluster_pid=""
  fi
}
trap stop_postgres EXIT
trap 'exit 130' INT TERM

for events in ${sizes}; do
  cluster_out="${out}/postgres-${events}.out"
  OMNIROUTE_SERVER="${server_bin}" bash "${here}/tools/cluster.sh" --nodes=0 \
    > "${cluster_out}" 2> "${out}/postgres-${events}.log" &
  cluster_pid=$!
  for _ in $(seq 600); do
    grep -q '^store ' "${cluster_out}" 2>/dev/null && break
    if ! kill -0 "${cluster_pid}" 2>/dev/null; then
      echo "$0: tools/cluster.sh exited:" >&2
      cat "${out}/postgres-${events}.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  store="$(sed -n 's/^store //p' "${cluster_out}")"
  if [[ -z "${store}" ]]; then
    echo "$0: tools/cluster.sh printed no store line within 60 s" >&2
    exit 1
  fi
  echo "== ${events} events, PostgreSQL at ${store}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "${bench_bin}" --server="${server_bin}" --store="${store}" --events="${events}" \
    --kills="${kills}" --lease_ms="${lease_ms}" --nodes="${nodes}" \
    --work_dir="${out}/${events}" | tee "${out}/failover-${events}.txt"
  echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  stop_postgres
done
echo "reports in ${out}"
