#!/usr/bin/env bash
# Runs tests under the sanitizers (tools/test.sh runs it after the other
# tests; it also runs alone):
#
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer (preset asan,
#         build/asan, clang++-14; the fuzz targets of tools/fuzz.sh share
#         that build): the library, engine and service tests
#   tsan  ThreadSanitizer (preset tsan, build/tsan): the concurrency tests —
#         group commit, background snapshots, the change feed and the
#         in-process gRPC servers
#
# Each part configures its preset, builds only the test binaries it runs,
# then runs each binary once (two at a time) with the googletest filter below.
# Any sanitizer report fails the binary (and the run): the sanitizers halt on
# the first error, undefined behaviour included. A binary's output is in
# build/<preset>/sanitize/<binary>.<n>.log; a failing one's is printed.
#
#   bash tools/sanitize.sh [asan|tsan]...     # default: asan tsan
#
# OMNIROUTE_ASAN_TESTS="omniroute_core_tests ..." limits the asan part to
# those binaries (built and run).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# "<test binary> <googletest filter>", longest first (they start in this
# order, two at a time; under ASan the core tests' merge properties take
# over a minute, so they run beside the rest). The filters leave out the
# tests that need a PostgreSQL server (the ci preset runs them) and the
# cluster and ownership tests, which run on one.
asan_tests=(
  "omniroute_core_tests MergePropertyTest.RandomSequencesWithThreadMerge*"
  "omniroute_core_tests *:-MergePropertyTest.RandomSequencesWithThreadMerge*"
  "omniroute_service_tests *:-*Postgres*:Cluster*:OwnershipTest.*"
  "omniroute_tenant_tests *"
  "omniroute_routing_tests *"
  "omniroute_engine_tests *:-*Postgres*"
  "omniroute_store_tests *:-*Postgres*"
  "omniroute_base_tests *"
)

# omniroute_concurrency_tests is built by the tsan preset alone
# (tests/CMakeLists.txt); its two halves run side by side.
concurrency_tests="omniroute_concurrency_tests"
tsan_tests=(
  "${concurrency_tests} StreamsTest.*:CallExecutorTest.*:ScenarioTest.*:Microblog*:ForwardingTest.*"
  "${concurrency_tests} GroupCommit*:BackgroundSnapshotTest.*:SqliteEventStoreTest.*:*EventStoreContractTest.Concurrent*:*MessageHistoryTest.Concurrent*:SqliteMessageHistoryTest.AFailedWrite*:SqliteWalCheckpointerTest.*:-*Postgres*"
)

# Halt on the first report; exit non-zero.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=${PWD}/tools/sanitizers/tsan.supp"

# Runs one "<binary> <filter>" ($3) of preset $1, its output in the log named
# after it and $2; prints the log and returns non-zero if it fails.
run_one() {
  local preset="$1" binary="${3%% *}" filter="${3#* }"
  local log="build/${preset}/sanitize/${binary}.$2.log"
  local start=${SECONDS}
  if timeout 1200 "build/${preset}/tests/${binary}" --gtest_filter="${filter}" \
      --gtest_brief=1 >"${log}" 2>&1; then
    echo "sanitize: ${preset}: ${binary}: passed ($((SECONDS - start)) s)"
  else
    local status=$?
    echo "sanitize: ${preset}: ${binary}: FAILED with status ${status} ($((SECONDS - start)) s); its output:"
    sed 's/^/  | /' "${log}"
    return 1
  fi
}

# Builds and runs the tests of one preset; returns non-zero if any failed.
run_preset() {
  local preset="$1"
  local -n all_tests="${preset}_tests"
  local tests=("${all_tests[@]}")
  local start=${SECONDS}
  if [[ "${preset}" == asan && -n "${OMNIROUTE_ASAN_TESTS:-}" ]]; then
    local -a chosen=()
    for entry in "${tests[@]}"; do
      [[ " ${OMNIROUTE_ASAN_TESTS} " == *" ${entry%% *} "* ]] && chosen+=("${entry}")
    done
    tests=("${chosen[@]}")
  fi
  local binaries=()
  for entry in "${tests[@]}"; do
    [[ " ${binaries[*]} " == *" ${entry%% *} "* ]] || binaries+=("${entry%% *}")
  done

  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j 2 --target "${binaries[@]}"
  echo "sanitize: ${preset}: built in $((SECONDS - start)) s"
  mkdir -p "build/${preset}/sanitize"

  # Two binaries at a time (CI has two cores).
  local failed=0 running=0 index=0
  for entry in "${tests[@]}"; do
    index=$((index + 1))
    if ((running == 2)); then
      wait -n || failed=1
      running=$((running - 1))
    fi
    run_one "${preset}" "${index}" "${entry}" &
    running=$((running + 1))
  done
  while ((running > 0)); do
    wait -n || failed=1
    running=$((running - 1))
  done
  echo "sanitize: ${preset}: done in $((SECONDS - start)) s"
  return "${failed}"
}

presets=("$@")
if [[ ${#presets[@]} -eq 0 ]]; then presets=(asan tsan); fi
for preset in "${presets[@]}"; do
  case "${preset}" in
    asan | tsan) ;;
    *) echo "sanitize: unknown sanitizer '${preset}' (asan or tsan)" >&2; exit 2 ;;
  esac
done

# The asan preset builds with clang++-14 (tools/install-deps.sh fuzz).
if [[ " ${presets[*]} " == *" asan "* ]]; then
  bash tools/install-deps.sh fuzz
else
  bash tools/install-deps.sh
fi
status=0
for preset in "${presets[@]}"; do
  run_preset "${preset}" || status=1
done
exit "${status}"
