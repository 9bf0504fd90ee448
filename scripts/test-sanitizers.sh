#!/usr/bin/env bash
# The test suite again under sanitizers (docs/sanitizers.md says why this split):
#   AddressSanitizer + UndefinedBehaviorSanitizer: every test except the
#     DeepPCB quality run (4,500 ResNet-50 passes; its code paths are the golden
#     and CLI pipeline tests', which do run here);
#   ThreadSanitizer: the threaded tests (trunk kernels and engine, GBDT
#     training and prediction, feature cache, evaluation, CLI pipeline), run
#     against a TSan-built libtbb of the installed version
#     (scripts/build-tsan-tbb.sh), plus a canary race that must be reported.
# Any report fails the run (AOI_SKIP_TSAN=1 skips the TSan pass).
# Build folders: build-asan, build-tsan, build-tsan-tbb.
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
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"

start=$SECONDS
sanitize build-asan address,undefined -E 'DeepPcb'
echo "test-sanitizers: ASan+UBSan passed in $((SECONDS - start)) s"
[ -z "${AOI_SKIP_TSAN:-}" ] || exit 0
start=$SECONDS
scripts/build-tsan-tbb.sh
export LD_LIBRARY_PATH="$root/build-tsan-tbb/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
sanitize build-tsan thread \
  -R 'Engine|Gbdt|Train|Predict|FeatureCache|Evaluate|CliPipeline|OnEachIsa|PackedConv|NoAllocation|Golden.*aoi_avx|TsanCanary'
# The tests must have run against the instrumented libtbb, not Debian's.
# ldd's output is taken whole first: piped into `grep -q`, which exits at the
# first match, ldd could die of SIGPIPE and pipefail would call that a failure.
libs=$(ldd build-tsan/tests/test_engine)
grep -qF "$root/build-tsan-tbb/lib/libtbb.so.12" <<<"$libs" ||
  { echo "test-sanitizers: tests did not load the TSan-built libtbb; ldd says:" >&2; echo "$libs" >&2; exit 1; }
echo "test-sanitizers: TSan passed in $((SECONDS - start)) s"
