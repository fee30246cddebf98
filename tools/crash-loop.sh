#!/usr/bin/env bash
# Runs the SIGKILL crash test for many cycles (default 300) and prints its
# figures: cycles, commands acknowledged, lost, duplicated.
#
#   bash tools/crash-loop.sh [cycles]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cycles="${1:-300}"
bash tools/build.sh dev >/dev/null
cmake --build build/dev --target omniroute_crash_tests -j 2 >/dev/null
OMNIROUTE_CRASH_CYCLES="${cycles}" build/dev/tests/omniroute_crash_tests \
  --gtest_filter='CrashTest.AcknowledgedCommandsSurviveSigkillExactlyOnce'
