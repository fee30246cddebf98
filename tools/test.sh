#!/usr/bin/env bash
# Runs every test: installs what is missing, builds a preset (ci by default),
# runs its tests with ctest, then the Python and Node clients' tests against
# the server of that build, then checks that the installed package works from
# an outside CMake project (tools/check-install.sh), then runs every fuzz
# target for 20 seconds after its regression inputs (tools/fuzz.sh, its own
# build in build/fuzz). Exits non-zero on any failure.
#
#   bash tools/test.sh [preset]     # preset: ci (default), dev
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset="${1:-ci}"
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

# The fuzz targets, 20 seconds each (tools/fuzz.sh SECONDS runs them longer).
bash tools/fuzz.sh 20
