#!/usr/bin/env bash
# Runs the SIGKILL crash test (tests/crash/crash_test.cc) for many kill/restart
# cycles, default 300, and prints its figures: cycles, commands acknowledged,
# lost, duplicated. Exits non-zero if anything was lost, duplicated or
# half-applied (the test's failures are printed then).
#
#   bash tools/crash-loop.sh [cycles] [seed]
#
# The seed (default 20261122, the test's own) chooses the kill points; another
# seed explores other ones. Builds only the test and the driver, in
# $OMNIROUTE_BUILD_DIR (default build/dev, configured with the dev preset if
# it is not yet).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cycles="${1:-300}"
seed="${2:-20261122}"
build_dir="${OMNIROUTE_BUILD_DIR:-build/dev}"

if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  bash tools/install-deps.sh >/dev/null
  cmake --preset dev -B "${build_dir}" >/dev/null
fi
cmake --build "${build_dir}" --target omniroute_crash_tests omniroute-crash-driver -j 2 >/dev/null

log="$(mktemp)"
trap 'rm -f "${log}"' EXIT
start="${SECONDS}"
status=0
OMNIROUTE_CRASH_CYCLES="${cycles}" OMNIROUTE_CRASH_SEED="${seed}" \
  "${build_dir}/tests/omniroute_crash_tests" \
  --gtest_filter='CrashTest.AcknowledgedCommandsSurviveSigkillExactlyOnce' >"${log}" 2>&1 ||
  status=$?
elapsed=$((SECONDS - start))

if [[ ${status} -ne 0 ]]; then
  cat "${log}"
  echo "crash-loop: FAILED (${cycles} cycles, seed ${seed}, ${elapsed} s)" >&2
  exit "${status}"
fi
grep '^crash test:' "${log}"
echo "crash-loop: passed in ${elapsed} s"
