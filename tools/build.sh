#!/usr/bin/env bash
# Installs what is missing, then configures and builds one CMake preset.
#
#   bash tools/build.sh [preset]     # preset: dev (default), release, ci
#
# The build tree is build/<preset>. ccache is used when installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset="${1:-dev}"

bash tools/install-deps.sh
cmake --preset "${preset}"
cmake --build --preset "${preset}" -j 2
