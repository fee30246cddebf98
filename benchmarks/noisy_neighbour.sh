#!/usr/bin/env bash
# Noisy neighbour: does a tenant flooding the server at five times its
# request limit hurt another tenant? One omniroute-server on SQLite
# (--durability=sync, as the main job runs it) with
# --tenant_requests_per_second=LIMIT. A quiet tenant ingests open loop at
# QUIET_RATE, first alone, then while a noisy tenant sends 5 x LIMIT ingests
# per second (four fifths of which are refused RESOURCE_EXHAUSTED); the pair
# runs ROUNDS times, alternating, each run on fresh tenants. The table
# compares the quiet tenant's latency alone and beside the flood.
#
#   bash benchmarks/noisy_neighbour.sh OUT_DIR [BUILD_DIR]     # BUILD_DIR: build/release
#
# NOISY_LIMIT (200), QUIET_RATE (100), NOISY_DURATION (10s), NOISY_WARMUP (2s)
# and NOISY_ROUNDS (3) change the runs; the defaults take about a minute and a half.
# Writes each run's JSON and text report and the table, noisy.md, to OUT_DIR.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUT_DIR [BUILD_DIR]" >&2
  exit 2
fi
out="$1"
build="${2:-build/release}"
limit="${NOISY_LIMIT:-200}"
quiet_rate="${QUIET_RATE:-100}"
duration="${NOISY_DURATION:-10s}"
warmup="${NOISY_WARMUP:-2s}"
rounds="${NOISY_ROUNDS:-3}"
server_bin="${build}/tools/omniroute-server"
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
noisy_pid=""

cleanup() {
  [[ -n "${noisy_pid}" ]] && kill -TERM "${noisy_pid}" 2>/dev/null && wait "${noisy_pid}" 2>/dev/null
  if [[ -n "${server_pid}" ]]; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${server_bin}" --listen=127.0.0.1:0 --port_file="${work}/port" --data_dir="${work}/data" \
  --durability=sync --tenant_requests_per_second="${limit}" 2> "${out}/server.log" &
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
port="$(cat "${work}/port")"

# The quiet tenant's run; the noisy one's, in the background, lasts longer
# on both ends so that the quiet run is inside the flood all along.
quiet() {
  "${load_bin}" --target="127.0.0.1:${port}" --workload=ingest --tenant="quiet-$1" \
    --rate="${quiet_rate}" --duration="${duration}" --warmup="${warmup}" \
    --json="${out}/$1.json" > "${out}/$1.txt"
}
noisy() {
  local longer
  longer="$(python3 -c "
import re
def s(d):
    m = re.fullmatch(r'([0-9.]+)(ms|s|m)', d); v = float(m[1])
    return v / 1000 if m[2] == 'ms' else v * 60 if m[2] == 'm' else v
print(f'{s(\"${duration}\") + 2:.3f}s')")"
  "${load_bin}" --target="127.0.0.1:${port}" --workload=ingest --tenant="$1" \
    --rate="$((limit * 5))" --duration="${longer}" --warmup="${warmup}" --max_error_ratio=1 \
    --json="${out}/$1.json" > "${out}/$1.txt" &
  noisy_pid=$!
}

for round in $(seq "${rounds}"); do
  echo "== round ${round}: quiet alone"
  quiet "alone-${round}"
  echo "== round ${round}: quiet beside the flood"
  noisy "noisy-${round}"
  quiet "beside-${round}"
  wait "${noisy_pid}"
  noisy_pid=""
done

python3 - "${out}" "${rounds}" "${limit}" "${quiet_rate}" "${duration}" "${warmup}" \
  > "${out}/noisy.md" <<'PY'
import json, os, sys
out, rounds, limit, quiet_rate, duration, warmup = sys.argv[1:7]
def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)
print("| round | run | tenant | offered, calls/s | admitted, calls/s | p50 µs | p99 µs | p99.9 µs | refused (measured) |")
print("|---|---|---|---|---|---|---|---|---|")
ratios = []
for i in range(1, int(rounds) + 1):
    alone = load(f"alone-{i}")
    beside = load(f"beside-{i}")
    noisy = load(f"noisy-{i}")
    for run, tenant, r in (("alone", "quiet", alone), ("flood", "quiet", beside),
                           ("flood", "noisy", noisy)):
        s = r["rpcs"]["IngestMessage"]
        lat = s["latency_us"]
        errors = ", ".join(f"{code} {n}" for code, n in s.get("errors_by_code", {}).items()) or "0"
        admitted = s["ok"] / r["measured_seconds"]
        print(f"| {i} | {run} | {tenant} | {r['rate']:.0f} | {admitted:.0f} | {lat['p50']:.0f} "
              f"| {lat['p99']:.0f} | {lat['p99_9']:.0f} | {errors} |")
    ratios.append(beside["rpcs"]["IngestMessage"]["latency_us"]["p99"] /
                  alone["rpcs"]["IngestMessage"]["latency_us"]["p99"])
print()
print("quiet tenant's p99 beside the flood ÷ alone: " +
      ", ".join(f"{r:.2f}" for r in ratios) + f" (target ≤ 2)")
print()
print(f"omniroute-server on SQLite (--durability=sync), --tenant_requests_per_second={limit}; "
      f"quiet: open loop {quiet_rate}/s; noisy: open loop {5 * int(limit)}/s. "
      f"Each run {warmup} warm-up, then {duration} measured.")
PY
cat "${out}/noisy.md"
