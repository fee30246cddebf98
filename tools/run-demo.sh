#!/usr/bin/env bash
# The main job: installs what is missing, builds the server and the CLI
# (release preset), and runs omniroute-server on its embedded SQLite store
# (omniroute-data/) with the demo tenant of examples/config/ until Ctrl-C.
#
#   bash tools/run-demo.sh [--listen=127.0.0.1:50051] [other omniroute-server flags]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install-deps.sh
cmake --preset release
cmake --build --preset release -j 2 --target omniroute-server omniroute-cli

cat >&2 <<'TEXT'
omniroute-server: demo tenant "acme" (examples/config/acme.textproto), store in omniroute-data/.
Play scenario 1 (the spoiled baby food) from another terminal: bash examples/cli/scenario1.sh
TEXT
exec build/release/tools/omniroute-server --listen=127.0.0.1:50051 --data_dir=omniroute-data \
  --config_dir=examples/config "$@"
