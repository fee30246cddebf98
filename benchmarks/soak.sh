#!/usr/bin/env bash
# The soak: does the server's memory stay flat while conversations are
# opened and closed for a long time? omniroute-load's churn workload (a
# fixed population of customers; each conversation gets a message, a reply
# and is closed, and the customer's next message opens a new one) runs in an
# open loop against a real omniroute-server on SQLite with
# --durability=sync. Closed conversations leave the working set after the
# tenant's closed_retention (short here, so that the working set reaches its
# steady state within the first minute); the history grows in the store.
#
#   bash benchmarks/soak.sh OUT_DIR [BUILD_DIR] [--duration=10m]
#
# BUILD_DIR: build/release. The server's resident set size (VmRSS) is
# sampled every 10 s into OUT_DIR/rss.csv; OUT_DIR/soak.md has the verdict:
# the RSS at the end at most 1.1 times the RSS after the first minute. Exits
# 1 if it is not. SOAK_RATE (operations/s, 400), SOAK_POPULATION (5000) and
# SOAK_RETENTION (10s) change the run.
set -euo pipefail

usage() {
  echo "usage: $0 OUT_DIR [BUILD_DIR] [--duration=DURATION (e.g. 10m, 1h)]" >&2
  exit 2
}

duration="10m"
positional=()
for arg in "$@"; do
  case "${arg}" in
    --duration=*) duration="${arg#--duration=}" ;;
    -*) usage ;;
    *) positional+=("${arg}") ;;
  esac
done
[[ ${#positional[@]} -ge 1 && ${#positional[@]} -le 2 ]] || usage
out="${positional[0]}"
build="${positional[1]:-build/release}"
rate="${SOAK_RATE:-400}"
population="${SOAK_POPULATION:-5000}"
retention="${SOAK_RETENTION:-10s}"

# The duration in whole seconds (s, m and h units).
seconds="$(python3 - "${duration}" <<'PY'
import re, sys
m = re.fullmatch(r"(\d+)(s|m|h)", sys.argv[1])
if not m:
    sys.exit(f"--duration: \"{sys.argv[1]}\" must be a number and a unit (s, m or h), e.g. 10m")
print(int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)])
PY
)"
if (( seconds < 120 )); then
  echo "$0: --duration: at least 2m (the first minute is the baseline)" >&2
  exit 2
fi

server_bin="${OMNIROUTE_SERVER:-${build}/tools/omniroute-server}"
load_bin="${build}/tools/omniroute-load"
log_bin="${build}/tools/omniroute-log"
for bin in "${server_bin}" "${load_bin}" "${log_bin}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} not found; build it first (bash tools/build.sh release)" >&2
    exit 1
  fi
done
mkdir -p "${out}"
work="$(mktemp -d)"
server_pid=""
load_pid=""

cleanup() {
  [[ -n "${load_pid}" ]] && kill -TERM "${load_pid}" 2>/dev/null || true
  if [[ -n "${server_pid}" ]]; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${server_bin}" --listen=127.0.0.1:0 --port_file="${work}/port" --data_dir="${work}/data" \
  --durability=sync 2> "${out}/server.log" &
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

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${server_pid}/status"; }
store_kb() { du -sk "${work}/data" | cut -f1; }

echo "== soak: churn at ${rate}/s, ${population} customers, closed_retention ${retention}, ${duration}"
"${load_bin}" --target="127.0.0.1:${port}" --workload=churn --rate="${rate}" \
  --population="${population}" --closed_retention="${retention}" --warmup=0s \
  --duration="${seconds}s" --max_error_ratio=0 --json="${out}/load.json" \
  > "${out}/load.txt" 2> "${out}/load.err" &
load_pid=$!

echo "elapsed_s,rss_kb,store_kb" > "${out}/rss.csv"
start=$(date +%s)
echo "0,$(rss_kb),$(store_kb)" >> "${out}/rss.csv"
# A sample every 10 s while the load runs (its end is its own duration).
while kill -0 "${load_pid}" 2>/dev/null; do
  next=$(( start + ( ( $(date +%s) - start ) / 10 + 1 ) * 10 ))
  while (( $(date +%s) < next )) && kill -0 "${load_pid}" 2>/dev/null; do sleep 1; done
  kill -0 "${load_pid}" 2>/dev/null || break
  line="$(( $(date +%s) - start )),$(rss_kb),$(store_kb)"
  echo "${line}" >> "${out}/rss.csv"
  echo "  ${line}"
done
load_status=0
wait "${load_pid}" || load_status=$?
load_pid=""
echo "$(( $(date +%s) - start )),$(rss_kb),$(store_kb)" >> "${out}/rss.csv"
cat "${out}/load.txt"
if (( load_status != 0 )); then
  echo "$0: omniroute-load failed (exit ${load_status}):" >&2
  cat "${out}/load.err" >&2
  exit 1
fi

# What the store holds: how many conversations were opened and archived.
"${log_bin}" inspect "${work}/data/events.db" > "${out}/inspect.txt"

python3 - "${out}" "${rate}" "${population}" "${retention}" "${duration}" > "${out}/soak.md" <<'PY'
import csv, json, os, sys
out, rate, population, retention, duration = sys.argv[1:6]
rows = [(int(r["elapsed_s"]), int(r["rss_kb"]), int(r["store_kb"]))
        for r in csv.DictReader(open(os.path.join(out, "rss.csv")))]
baseline = next(r for r in rows if r[0] >= 60)
end = rows[-1]
peak = max(r[1] for r in rows)
ratio = end[1] / baseline[1]
load = json.load(open(os.path.join(out, "load.json")))
ops = load["total"]["calls"]
events = {}
for line in open(os.path.join(out, "inspect.txt")):
    parts = line.split()
    if len(parts) == 3 and parts[2].isdigit():
        events[parts[0]] = int(parts[2])
print(f"Churn at {rate} operations/s (open loop), {population} customers, closed_retention "
      f"{retention}, {duration}, SQLite with --durability=sync: {ops} calls, "
      f"{load['total']['errors']} errors; {events.get('conversation_opened', 0)} conversations "
      f"opened, {events.get('conversation_archived', 0)} archived.")
print()
print("| | elapsed s | RSS MiB | store MiB |")
print("|---|---|---|---|")
print(f"| after the first minute | {baseline[0]} | {baseline[1] / 1024:.1f} | {baseline[2] / 1024:.1f} |")
print(f"| peak | | {peak / 1024:.1f} | |")
print(f"| end | {end[0]} | {end[1] / 1024:.1f} | {end[2] / 1024:.1f} |")
print()
verdict = "PASS" if ratio <= 1.1 else "FAIL"
print(f"RSS at the end ÷ after the first minute: {ratio:.3f} (target ≤ 1.1): {verdict}")
PY
cat "${out}/soak.md"
grep -q "PASS$" "${out}/soak.md"
