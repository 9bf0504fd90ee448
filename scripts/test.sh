#!/usr/bin/env bash
# Every test: install packages, build, fetch the weights (the golden and
# DeepPCB tests need them), run the suite through CTest, then
#   - the suite again under ASan+UBSan and the threaded tests under TSan
#     (docs/sanitizers.md),
#   - the install check: C consumers against an installed aoi, static and
#     shared (scripts/check-install.sh),
#   - the lean static runtime and its sizes (scripts/build-lean.sh),
#   - a fuzz smoke of every libFuzzer target (scripts/fuzz.sh),
#   - the aarch64 cross build with its tests under qemu (scripts/cross-aarch64.sh).
# Each extra part can be skipped: AOI_SKIP_SANITIZERS=1, AOI_SKIP_INSTALL=1,
# AOI_SKIP_LEAN=1, AOI_SKIP_FUZZ=1, AOI_SKIP_CROSS=1 (AOI_QUICK=1: all of them).
# .ci/run calls this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
skip() { [ -n "${AOI_QUICK:-}" ] || [ -n "$(eval echo "\${AOI_SKIP_$1:-}")" ]; }
# Each section's duration, printed again at the end (also on failure, where
# the log's tail is all a CI page may show).
durations=()
current="" current_start=0
section() {
  [ -z "$current" ] || durations+=("$current $((SECONDS - current_start)) s")
  current=$1 current_start=$SECONDS
  echo; echo "=== test.sh: $1 ($(date -u +%H:%M:%S), $SECONDS s in)"
}
summary() {
  local status=$?
  [ -z "$current" ] || durations+=("$current $((SECONDS - current_start)) s$([ $status -eq 0 ] || echo " (failed, exit $status)")")
  echo; echo "=== test.sh: sections"
  printf '  %s\n' "${durations[@]}"
  echo "  total $SECONDS s"
}
trap summary EXIT

section "setup"
scripts/setup.sh
# With ../shared present, the reference and weights are required, not skipped.
if [ -d ../shared/reference ]; then export AOI_REQUIRE_REFERENCE=1 AOI_REQUIRE_WEIGHTS=1; fi
section "suite"
(cd "${AOI_BUILD_DIR:-build}" && ctest --output-on-failure -j"$(nproc)")
if ! skip INSTALL; then section "install check"; scripts/check-install.sh; fi
if ! skip LEAN; then section "lean static runtime"; scripts/build-lean.sh; fi
if ! skip FUZZ; then section "fuzz smoke"; scripts/fuzz.sh "${AOI_FUZZ_SMOKE_SECONDS:-20}"; fi
if ! skip CROSS; then section "aarch64 under qemu"; scripts/cross-aarch64.sh; fi
if ! skip SANITIZERS; then section "sanitizers"; scripts/test-sanitizers.sh; fi
