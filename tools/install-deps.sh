#!/usr/bin/env bash
# Installs the Debian 12 packages omniroute needs to build, test and run,
# and only those that are missing. Safe to run any number of times: when
# everything is there it changes nothing and does not touch the network.
#
#   bash tools/install-deps.sh          # build, test and run
#   bash tools/install-deps.sh fuzz     # the same and the fuzzing toolchain
set -euo pipefail

# Every package the project needs, from Debian's own archive. Add new ones here.
PACKAGES=(
  # toolchain
  build-essential
  cmake
  ninja-build
  ccache
  pkg-config
  git
  # libraries and code generators
  libabsl-dev
  libprotobuf-dev
  protobuf-compiler
  libgrpc++-dev
  protobuf-compiler-grpc
  libsqlite3-dev
  sqlite3
  libpq-dev
  postgresql
  libssl-dev
  nlohmann-json3-dev
  # the server's metrics: Prometheus client library and HTTP listener
  prometheus-cpp-dev
  libcivetweb-dev
  # tests and benchmarks
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  # certificates made by the TLS tests
  openssl
  # promtool, which checks the metrics page in the tests (the package's
  # daemon is not started: see below)
  prometheus
  # Python client
  python3-grpcio
  python3-protobuf
  # the wallboard's browser test: headless Chromium driven through
  # chromium-driver by Selenium
  chromium
  chromium-driver
  python3-selenium
)

# The fuzz targets (tools/fuzz.sh): Debian's clang 14 and its libFuzzer and
# sanitizer runtimes.
FUZZ_PACKAGES=(
  clang-14
  libclang-rt-14-dev
)
if [[ "${1:-}" == "fuzz" ]]; then
  PACKAGES+=("${FUZZ_PACKAGES[@]}")
fi

is_installed() {
  local status
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" || return 1
  [[ "${status}" == ii* ]]
}

missing=()
for package in "${PACKAGES[@]}"; do
  if ! is_installed "${package}"; then
    missing+=("${package}")
  fi
done

# The Node client's tests need node and npm; a machine that has them from
# elsewhere keeps its own, otherwise Debian's are installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  for package in nodejs npm; do
    is_installed "${package}" || missing+=("${package}")
  done
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
# Packages with a daemon (postgresql, prometheus) would start it on a
# machine with an init system; the tests start their own on loopback, so
# Debian's policy-rc.d keeps the packages' from starting during the install.
policy="/usr/sbin/policy-rc.d"
added_policy=""
if [[ ! -e "${policy}" ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "${policy}" >/dev/null
  "${sudo[@]}" chmod 755 "${policy}"
  added_policy="yes"
fi
status=0
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}" || status=$?
if [[ -n "${added_policy}" ]]; then
  "${sudo[@]}" rm -f "${policy}"
fi
if [[ ${status} -ne 0 ]]; then
  echo "install-deps: apt-get install failed (status ${status})" >&2
  exit "${status}"
fi

# Check that apt did what it said.
still_missing=()
for package in "${missing[@]}"; do
  if ! is_installed "${package}"; then
    still_missing+=("${package}")
  fi
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
  echo "install-deps: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
