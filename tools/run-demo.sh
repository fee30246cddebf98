#!/usr/bin/env bash
# Installs what is missing, builds the dev preset and runs the scenario-1
# example (the spoiled baby food: public post + email, then a phone call).
#
#   bash tools/run-demo.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/build.sh dev
exec build/dev/examples/spoiled_baby_food
