#!/usr/bin/env bash
# Runs every test: installs what is missing, builds a preset (ci by default),
# runs its tests with ctest, then the Python and Node clients' tests against
# the server of that build, then checks that the installed package works from
# an outside CMake project (tools/check-install.sh), then the sanitizers, in
# the part that fits in CI's time: the base, core and tenant tests under
# AddressSanitizer + UndefinedBehaviorSanitizer (tools/sanitize.sh asan with
# OMNIROUTE_ASAN_TESTS), the three fuzz targets that need no gRPC service for
# 20 s each (tools/fuzz.sh 20 with FUZZ_TARGETS, in the same clang build,
# build/asan), and the concurrency tests under ThreadSanitizer
# (tools/sanitize.sh tsan). Exits non-zero on any failure.
#
# Not run here, because their instrumented build does not fit in CI's time
# yet (the README's "Sanitizers" gives the measured costs): the routing,
# store, engine and service tests under ASan (`bash tools/test.sh asan` runs
# them all) and the tenant_config and request_conversion fuzz targets
# (`bash tools/fuzz.sh 20` runs all five).
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

# Part of the library's tests under ASan + UBSan, then three fuzz targets for
# 20 s each, both from the clang build of build/asan (the library compiled
# once for both); the concurrency tests under ThreadSanitizer (build/tsan).
OMNIROUTE_ASAN_TESTS="omniroute_core_tests omniroute_tenant_tests omniroute_base_tests" \
  bash tools/sanitize.sh asan
FUZZ_TARGETS="identity_fuzzer event_fold_fuzzer sqlite_store_fuzzer" bash tools/fuzz.sh 20
bash tools/sanitize.sh tsan
