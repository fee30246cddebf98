#!/usr/bin/env bash
# Runs the cluster chaos test (tests/chaos/cluster_chaos_test.cc) for many
# cycles, default 200: three omniroute-server nodes on a real PostgreSQL,
# killed (SIGKILL) and restarted, paused past their lease (SIGSTOP/SIGCONT),
# and the database restarted every fifth cycle, under load (ingesting
# clients, change-feed watchers, omniroute-load's mixed workload). Prints
# its figures: cycles, kills, pauses, database restarts, messages
# acknowledged, lost, duplicated, stale appends refused by the fence, the
# feeds followed. Exits non-zero if anything acknowledged was lost or
# duplicated, a state differed from the replay of its log, or a feed had a
# gap or a repeat (the test's failures are printed then).
#
#   bash tools/chaos.sh [cycles] [seed]
#
# The seed (default 20261206, the test's own) chooses the nodes and the
# actions. Builds only what the test needs, in $OMNIROUTE_BUILD_DIR
# (default build/dev, configured with the dev preset if it is not yet).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cycles="${1:-200}"
seed="${2:-20261206}"
build_dir="${OMNIROUTE_BUILD_DIR:-build/dev}"
if ! [[ "${cycles}" =~ ^[1-9][0-9]*$ ]]; then
  echo "chaos.sh: cycles: must be a positive number, got \"${cycles}\"" >&2
  exit 2
fi

if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  bash tools/install-deps.sh >/dev/null
  cmake --preset dev -B "${build_dir}" >/dev/null
fi
cmake --build "${build_dir}" --target omniroute_chaos_tests omniroute-server omniroute-load \
  -j 2 >/dev/null

log="$(mktemp)"
trap 'rm -f "${log}"' EXIT
start="${SECONDS}"
status=0
OMNIROUTE_CHAOS_CYCLES="${cycles}" OMNIROUTE_CHAOS_SEED="${seed}" \
  "${build_dir}/tests/omniroute_chaos_tests" >"${log}" 2>&1 || status=$?
elapsed=$((SECONDS - start))

if [[ ${status} -ne 0 ]]; then
  cat "${log}"
  echo "chaos: FAILED (${cycles} cycles, seed ${seed}, ${elapsed} s)" >&2
  exit "${status}"
fi
grep '^chaos test:' "${log}"
echo "chaos: passed in ${elapsed} s"
