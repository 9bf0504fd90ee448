#!/usr/bin/env bash
# The test suite again under sanitizers (docs/sanitizers.md says why this split):
#   AddressSanitizer + UndefinedBehaviorSanitizer: every test except the
#     DeepPCB quality run (4,500 ResNet-50 passes; its code paths are the golden
#     and CLI pipeline tests', which do run here);
#   ThreadSanitizer (only with AOI_TSAN=1, see docs/sanitizers.md: Debian's
#     oneTBB is not built with TSan, so every hand-off inside libtbb reads as
#     a race): the threaded tests.
# Any report fails the run. Build folders: build-asan, build-tsan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

sanitize() {  # sanitize DIR SANITIZERS CTEST_ARGS...
  local dir=$1 sanitizers=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAOI_ARCH=portable -DAOI_SANITIZE="$sanitizers" \
    -DAOI_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" "$@")
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp"

start=$SECONDS
sanitize build-asan address,undefined -E 'DeepPcb'
echo "test-sanitizers: ASan+UBSan passed in $((SECONDS - start)) s"
[ -n "${AOI_TSAN:-}" ] || exit 0
start=$SECONDS
sanitize build-tsan thread -R 'Engine|Gbdt|Train|Predict|FeatureCache|Evaluate|CliPipeline'
echo "test-sanitizers: TSan passed in $((SECONDS - start)) s"
