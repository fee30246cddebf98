#!/usr/bin/env bash
# Generates the stubs, then runs the client's tests and the scenario-2 example
# test against a real omniroute-server. Exits non-zero if anything fails.
#
#   bindings/python/run-tests.sh
#
# Environment:
#   PYTHON             interpreter with grpcio and protobuf (default /usr/bin/python3)
#   OMNIROUTE_SERVER   the server binary (default build/dev/tools/omniroute-server)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHON
export OMNIROUTE_SERVER="${OMNIROUTE_SERVER:-${repo}/build/dev/tools/omniroute-server}"

if [[ ! -x "${OMNIROUTE_SERVER}" ]]; then
  echo "run-tests.sh: no omniroute-server at ${OMNIROUTE_SERVER}; build it" \
       "(cmake --preset dev && cmake --build build/dev --target omniroute-server)" \
       "or set OMNIROUTE_SERVER" >&2
  exit 1
fi

"${here}/generate.sh" || exit 1

failed=0
echo "== bindings/python/tests"
(cd "${here}" && "${PYTHON}" -m unittest discover -s tests -v) || failed=1
echo "== examples/python"
(cd "${repo}/examples/python" && "${PYTHON}" -m unittest discover -s . -p 'test_*.py' -v) \
  || failed=1

if [[ ${failed} -ne 0 ]]; then
  echo "run-tests.sh: FAILED" >&2
  exit 1
fi
echo "run-tests.sh: all passed"
