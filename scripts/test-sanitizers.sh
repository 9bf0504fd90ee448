#!/usr/bin/env bash
# The test suite again under sanitizers (docs/sanitizers.md says why this split):
#   AddressSanitizer + UndefinedBehaviorSanitizer: every test except the
#     DeepPCB runs (the quality run and the service loop: thousands of ResNet-50
#     passes; their code paths are the golden, CLI pipeline and tiny-model
#     service tests', which do run here);
#   ThreadSanitizer: the threaded tests (parallel loops, trunk kernels and
#     engine, inspector and C API, GBDT training and prediction, feature
#     cache, evaluation, CLI pipeline) on aoi's own thread pool
#     (AOI_THREADS=std: fully instrumented, no uninstrumented libtbb in the
#     way), plus a canary race that must be reported.
# Any report fails the run (AOI_SKIP_ASAN=1, AOI_SKIP_TSAN=1 skip a pass).
# Build folders: build-asan, build-tsan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

sanitize() {  # sanitize DIR SANITIZERS THREADS SERVE TARGETS CTEST_ARGS... (TARGETS: "" for all)
  local dir=$1 sanitizers=$2 threads=$3 serve=$4 targets=$5
  shift 5
  # GCC 12's TSan cannot map its shadow under the address randomisation of
  # newer kernels (vm.mmap_rnd_bits 28 and up): its programs then crash at
  # start, building too (gtest lists each test program's tests). Without
  # randomisation (setarch -R, inherited by every child) they run.
  local run=()
  if [[ $sanitizers == *thread* ]] && command -v setarch >/dev/null; then run=(setarch "$(uname -m)" -R); fi
  # -g1: line tables for the reports' stacks; full debug info would only
  # lengthen both builds.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAOI_ARCH=portable -DAOI_SANITIZE="$sanitizers" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DAOI_THREADS="$threads" -DAOI_WITH_SERVE="$serve" -DAOI_BUILD_BENCH=OFF >/dev/null
  local target_args=()
  for t in $targets; do target_args+=(--target "$t"); done
  "${run[@]}" cmake --build "$dir" -j"$jobs" "${target_args[@]}"
  (cd "$dir" && "${run[@]}" ctest --output-on-failure -j"$jobs" "$@")
}

# allow_user_segv_handler: aoi installs its own SIGBUS handler around reads of
# mapped weight files (weights/guarded_read.hpp); ASan must let it.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:allow_user_segv_handler=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"

start=$SECONDS
if [ -z "${AOI_SKIP_ASAN:-}" ]; then
  sanitize build-asan address,undefined tbb ON "" -E 'DeepPcb|deeppcb_loop'
  echo "test-sanitizers: ASan+UBSan passed in $((SECONDS - start)) s"
fi
[ -z "${AOI_SKIP_TSAN:-}" ] || exit 0
start=$SECONDS
# FullDisk is left out: TSan's runtime does not let the CLI ignore SIGXFSZ,
# and the test is about files, not threads (the plain and ASan passes run it).
# So is the service: TSan defers signal handlers to intercepted calls, so
# its SIGTERM-driven tests cannot stop it (its load, reload and intake tests
# ran clean under TSan by hand; docs/sanitizers.md).
# Only the programs that hold tests the selection names are built (a test
# program added to the selection must be added here too).
tsan_targets="test_parallel test_inspector test_c_api make_capi_fixture test_engine test_gbdt test_feature_cache
  test_evaluation test_cli_pipeline aoi_cli test_packed_conv test_int8_conv test_no_allocation test_golden
  test_pack_file test_reliability test_anomaly tsan_canary"
sanitize build-tsan thread std OFF "$tsan_targets" \
  -R 'Parallel|Inspector|CApi|Engine|Gbdt|Train|Predict|FeatureCache|Evaluate|CliPipeline|OnEachIsa|PackedConv|NoAllocation|Golden.*aoi_avx|TsanCanary|Anomaly|MemoryBank' \
  -E 'FullDisk'
echo "test-sanitizers: TSan passed in $((SECONDS - start)) s"
