#!/usr/bin/env bash
# Runs every test: installs what is missing, builds a preset (ci by default),
# runs its tests with ctest, then the Python and Node clients' tests against
# the server of that build, then checks that the installed package works from
# an outside CMake project (tools/check-install.sh), then the sanitizers:
# the library's, engine's and service's tests under AddressSanitizer +
# UndefinedBehaviorSanitizer (tools/sanitize.sh asan), the five fuzz targets
# for 20 s each (tools/fuzz.sh 20, in the same clang build, build/asan), and
# the concurrency tests under ThreadSanitizer (tools/sanitize.sh tsan). Exits
# non-zero on any failure.
#
#   bash tools/test.sh [preset]     # preset: ci (default), dev
#   bash tools/test.sh asan|tsan    # only that sanitizer's part
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset="${1:-ci}"

case "${preset}" in
  asan | tsan) exec bash tools/sanitize.sh "${preset}" ;;
esac
build_dir="build/${preset}"

bash tools/build.sh "${preset}"

if ctest --list-presets 2>/dev/null | grep -q "\"${preset}\""; then
  ctest --preset "${preset}"
else
  ctest --test-dir "${build_dir}" --output-on-failure -j 2 --no-tests=error
fi

# The clients, against the server binary of this build.
export OMNIROUTE_SERVER="${PWD}/${build_dir}/tools/omniroute-server"
bash bindings/python/run-tests.sh
bash bindings/node/run-tests.sh

bash tools/check-install.sh "${build_dir}"

# The tests under ASan + UBSan, then every fuzz target for 20 s, both from the
# clang build of build/asan (the library compiled once for both); the
# concurrency tests under ThreadSanitizer (build/tsan).
bash tools/sanitize.sh asan
bash tools/fuzz.sh 20
bash tools/sanitize.sh tsan
