#!/usr/bin/env bash
# Checks that an installed omniroute can be used from an outside project:
# installs a built tree into a temporary prefix, builds examples/consumer
# against it with find_package(omniroute CONFIG), runs it and checks what it
# prints.
#
#   bash tools/check-install.sh [build-dir]     # default: build/ci
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"

build_dir="${1:-build/ci}"
if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  echo "check-install: ${build_dir} is not a configured build tree; build it first" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/omniroute-install.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT

echo "check-install: installing ${build_dir} into ${tmp}/prefix"
cmake --install "${build_dir}" --prefix "${tmp}/prefix"

echo "check-install: building examples/consumer against it"
cmake -S "${root}/examples/consumer" -B "${tmp}/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="${tmp}/prefix"
cmake --build "${tmp}/consumer" -j 2

echo "check-install: running the consumer"
output="$("${tmp}/consumer/consumer")"
printf '%s\n' "${output}"
if ! grep -q "conversation/1" <<<"${output}"; then
  echo "check-install: FAILED: the consumer's output has no conversation/1" >&2
  exit 1
fi
echo "check-install: OK"
