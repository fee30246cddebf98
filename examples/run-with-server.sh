#!/usr/bin/env bash
# Starts omniroute-server on a free port with a temporary store, runs a
# client program against it (its address as the last argument), then stops
# the server with SIGTERM. Exits with the client's status.
#
#   bash examples/run-with-server.sh <omniroute-server> <client> [args...]
set -euo pipefail

server="$1"
shift
dir="$(mktemp -d)"
trap 'rm -rf "${dir}"' EXIT

# The server says "listening on port N" on stderr once it accepts calls;
# reading that line (with a timeout) is the wait.
mkfifo "${dir}/log"
"${server}" --listen=127.0.0.1:0 --data_dir="${dir}/data" 2>"${dir}/log" &
pid=$!
exec 3<"${dir}/log"
port=""
while IFS= read -r -t 30 line <&3; do
  echo "${line}" >&2
  if [[ "${line}" == *"listening on port "* ]]; then
    port="${line##*listening on port }"
    port="${port%% *}"
    break
  fi
done
if [[ -z "${port}" ]]; then
  echo "run-with-server: the server did not start" >&2
  kill "${pid}" 2>/dev/null || true
  exit 1
fi
# Keep draining the server's log so that it never blocks on it.
cat <&3 >&2 &
status=0
"$@" "127.0.0.1:${port}" || status=$?
kill -TERM "${pid}"
wait "${pid}" || status=$?
exit "${status}"
