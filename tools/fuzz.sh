#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (the `fuzz` build preset of the `asan`
# configure preset: clang++-14, ASan and UBSan, in build/asan, the build the
# ASan tests of tools/sanitize.sh use too) and runs them: first each target over its
# regression inputs (fuzz/regressions/<target>/, inputs that once crashed),
# then each target for SECONDS over its seed corpus (fuzz/corpus/<target>/;
# what the run finds goes to a temporary directory, never into the
# repository). Prints per target the executions and the coverage (libFuzzer's
# final cov: and ft:), and exits non-zero on any crash, timeout, leak or
# sanitizer report, with the path of the input that caused it (kept in
# build/asan/fuzz-artifacts/<target>/).
#
#   bash tools/fuzz.sh [SECONDS]      # per target; default 60
#
# FUZZ_TARGETS="identity_fuzzer event_fold_fuzzer" limits the run to those.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
if ! [[ "${seconds}" =~ ^[0-9]+$ ]] || [[ "${seconds}" -lt 1 ]]; then
  echo "usage: bash tools/fuzz.sh [SECONDS]   (seconds per target, at least 1)" >&2
  exit 2
fi
targets=(${FUZZ_TARGETS:-identity_fuzzer tenant_config_fuzzer event_fold_fuzzer sqlite_store_fuzzer request_conversion_fuzzer})

bash tools/install-deps.sh fuzz
cmake --preset asan >/dev/null
# Only the targets that run (the fuzz build preset builds them all and
# omniroute_fuzz_seeds).
cmake --build --preset asan --target "${targets[@]}"

bin_dir="build/asan/fuzz"
artifacts="build/asan/fuzz-artifacts"
work="$(mktemp -d /tmp/omniroute-fuzz.XXXXXX)"
trap 'rm -rf "${work}"' EXIT

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for target in "${targets[@]}"; do
  binary="${bin_dir}/${target}"
  mkdir -p "${artifacts}/${target}"
  common=(-artifact_prefix="${artifacts}/${target}/" -timeout=25 -rss_limit_mb=2560)
  if [[ -f "fuzz/${target}.dict" ]]; then
    common+=(-dict="fuzz/${target}.dict")
  fi

  # The inputs that once crashed, each run once.
  regressions="fuzz/regressions/${target}"
  if compgen -G "${regressions}/*" >/dev/null; then
    if ! "${binary}" "${common[@]}" -runs=0 "${regressions}" >"${work}/${target}.regressions.log" 2>&1; then
      tail -n 60 "${work}/${target}.regressions.log"
      echo "fuzz: ${target}: a regression input fails again (${regressions})" >&2
      failed+=("${target} (regressions)")
      continue
    fi
    echo "fuzz: ${target}: $(ls "${regressions}" | wc -l) regression input(s) pass"
  fi

  # The seeds are read from the repository; new inputs go to ${work}.
  mkdir -p "${work}/${target}"
  log="${work}/${target}.log"
  status=0
  "${binary}" "${common[@]}" -max_total_time="${seconds}" -print_final_stats=1 \
    "${work}/${target}" "fuzz/corpus/${target}" >"${log}" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -n 1)"
  last="$(grep -E '^#[0-9]+' "${log}" | tail -n 1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"${last}")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"${last}")"
  if [[ ${status} -ne 0 ]]; then
    tail -n 80 "${log}"
    input="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "${log}" | tail -n 1)"
    echo "fuzz: ${target}: FAILED (exit ${status}); input: ${input:-see the log above}" >&2
    failed+=("${target}: ${input:-?}")
    summary+=("$(printf '%-28s %14s %8s %8s %6ss  FAILED' "${target}" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${seconds}")")
    continue
  fi
  summary+=("$(printf '%-28s %14s %8s %8s %6ss  ok' "${target}" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${seconds}")")
done

echo
printf '%-28s %14s %8s %8s %7s  %s\n' target execs cov ft time result
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz: failures:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
