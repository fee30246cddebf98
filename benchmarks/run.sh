#!/usr/bin/env bash
# Builds the release preset and runs every benchmark, writing the raw
# Google Benchmark output of each to benchmarks/results/<date>-<host>/, then
# the wire benchmark (benchmarks/wire.sh: omniroute-load against
# omniroute-server) into its wire/ folder.
#
#   bash benchmarks/run.sh                       # 1M customers / 1M messages
#   OMNIROUTE_BENCH_MESSAGES=10000000 bash benchmarks/run.sh   # 10M-message log
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Builds every target of the preset, the tools included: omniroute-server and
# omniroute-load for the wire benchmark.
bash tools/build.sh release

out="benchmarks/results/$(date -u +%Y-%m-%dT%H%M)-$(hostname -s)"
mkdir -p "${out}"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores: $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "${out}/machine.txt"

for bench in omniroute_core_benchmark omniroute_routing_benchmark omniroute_store_benchmark \
    omniroute_recovery_benchmark omniroute_scale_benchmark omniroute_snapshot_benchmark \
    omniroute_history_benchmark; do
  echo "== ${bench}"
  "build/release/benchmarks/${bench}" --benchmark_out="${out}/${bench}.json" \
    --benchmark_out_format=json | tee "${out}/${bench}.txt"
done
echo "== wire"
bash benchmarks/wire.sh "${out}/wire" build/release
echo "results in ${out}"
