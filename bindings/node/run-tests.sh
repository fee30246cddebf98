#!/usr/bin/env bash
# Installs the Node client's dependencies as package-lock.json pins them, then
# runs its tests (node:test) against a real omniroute-server that each test
# file starts on port 0: $OMNIROUTE_SERVER, default
# ../../build/dev/tools/omniroute-server. Exits non-zero on any failure.
#
#   bash bindings/node/run-tests.sh
set -euo pipefail

# A relative OMNIROUTE_SERVER is taken from where the script was started.
if [[ -n "${OMNIROUTE_SERVER:-}" ]]; then
  OMNIROUTE_SERVER="$(realpath -m -- "${OMNIROUTE_SERVER}")"
  export OMNIROUTE_SERVER
fi

cd "$(dirname "${BASH_SOURCE[0]}")"

server="${OMNIROUTE_SERVER:-../../build/dev/tools/omniroute-server}"
if [[ ! -x "${server}" ]]; then
  echo "run-tests.sh: no omniroute-server at ${server}; build it (tools/build.sh dev) or set OMNIROUTE_SERVER" >&2
  exit 1
fi

npm ci --no-audit --no-fund
node --test test/*.test.js
