#!/usr/bin/env bash
# Cross-builds aoi for aarch64 (Debian's g++-aarch64-linux-gnu against the arm64
# multiarch -dev packages) into build-aarch64/ and runs the tests there under
# qemu-user (docs/cross-aarch64.md). Runs as root or via sudo for apt-get.
#
#   scripts/cross-aarch64.sh [--full] [--no-install] [--build-only] [-- CTEST-ARGS...]
#
#   (default)     the CI subset: golden per-stage checks, kernel tests and the
#                 quick suites (docs/cross-aarch64.md)
#   --full        every test but DeepPCB under qemu (about 30 min of tests; not for CI)
#   --no-install  skip the package step (fails if something is missing)
#   --build-only  configure and build, run nothing
#   -- ARGS       passed to ctest after the script's own selection (e.g. -R Golden)
#
# Environment: AOI_CROSS_BUILD_DIR (default build-aarch64), AOI_JOBS (default
# nproc), AOI_WEIGHTS (else ~/.local/share/aoi/resnet50-imagenet.aoiw; made by
# weights/fetch.sh when missing, with the native aoi-convert if build/ has one,
# else with the cross-built one under qemu).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=subset install=1 run_tests=1
ctest_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) mode=full ;;
    --subset) mode=subset ;;
    --no-install) install=0 ;;
    --build-only) run_tests=0 ;;
    --) shift; ctest_extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "cross-aarch64: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

build_dir=${AOI_CROSS_BUILD_DIR:-build-aarch64}
jobs=${AOI_JOBS:-$(nproc)}
toolchain=$root/cmake/toolchains/aarch64-linux-gnu.cmake
t_start=$SECONDS
phase_start=$SECONDS
timings=()
phase_done() { timings+=("$(printf '%-9s %4d s' "$1" $((SECONDS - phase_start)))"); phase_start=$SECONDS; }
report_timings() {
  echo "cross-aarch64: timings"
  for t in "${timings[@]}"; do echo "  $t"; done
  echo "  total     $((SECONDS - t_start)) s"
}
trap report_timings EXIT

# --- 1. packages -------------------------------------------------------------
# Host tools and the header-only dependencies, whose headers are the same for
# every architecture (Eigen, nlohmann-json, CLI11; xxHash is used header-only,
# so the amd64 package's /usr/include/xxhash.h serves), then the arm64 builds
# of the libraries aoi links. Not needed: libxxhash-dev:arm64 (header-only use)
# and libbenchmark-dev:arm64 (the cross build has no benchmarks).
host_packages=(
  build-essential cmake pkg-config file g++-aarch64-linux-gnu qemu-user
  libeigen3-dev nlohmann-json3-dev libcli11-dev libxxhash-dev
)
arm64_packages=(
  libjpeg-dev libpng-dev libtiff-dev libopenblas-dev libtbb-dev libgtest-dev
)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep "install ok installed" >/dev/null; }

if [ "$install" = 1 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  missing=()
  for p in "${host_packages[@]}"; do installed "$p" || missing+=("$p"); done
  for p in "${arm64_packages[@]}"; do installed "$p:arm64" || missing+=("$p:arm64"); done
  have_arch=0
  dpkg --print-foreign-architectures | grep -x arm64 >/dev/null && have_arch=1
  if [ $have_arch = 1 ] && [ ${#missing[@]} -eq 0 ]; then
    echo "cross-aarch64: packages present"
  else
    if [ $have_arch = 0 ]; then
      echo "cross-aarch64: dpkg --add-architecture arm64"
      $sudo dpkg --add-architecture arm64
    fi
    # The arm64 index must be fetched before anything :arm64 can be installed.
    # Multi-Arch: same libraries must match their amd64 twins' version exactly,
    # so this also upgrades some 20-30 amd64 libraries (zlib1g, liblzma5,
    # libpng16-16, libssl3, krb5, libudev1/systemd, ...) to the archive's current
    # versions; that is expected.
    echo "cross-aarch64: apt-get update; installing ${missing[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  phase_done packages
fi

# --- 2. configure and build ---------------------------------------------------
# Benchmarks are not built (they are timed natively); tests and tools are.
cmake -S . -B "$build_dir" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DAOI_ARCH=portable -DAOI_BUILD_BENCH=OFF -DAOI_BUILD_TESTS=ON -DAOI_WITH_SERVE=OFF ${AOI_CMAKE_ARGS:-} >/dev/null
phase_done configure
cmake --build "$build_dir" -j"$jobs"
phase_done build
file "$build_dir/src/cli/aoi" 2>/dev/null | grep "ARM aarch64" >/dev/null || {
  echo "cross-aarch64: $build_dir/src/cli/aoi is not an aarch64 binary" >&2; exit 1; }
[ "$run_tests" = 1 ] || exit 0

qemu=(qemu-aarch64 -L /)  # not -L /usr/aarch64-linux-gnu: threaded programs hang there
"${qemu[@]}" "$build_dir/src/cli/aoi" --help >/dev/null

# --- 3. weights ------------------------------------------------------------------
weights=${AOI_WEIGHTS:-${XDG_DATA_HOME:-$HOME/.local/share}/aoi/resnet50-imagenet.aoiw}
if [ ! -s "$weights" ]; then
  if [ -x "$root/${AOI_BUILD_DIR:-build}/tools/aoi-convert" ]; then
    weights/fetch.sh "$weights"
  else
    # No native build: convert with the aarch64 aoi-convert under qemu.
    wrapper=$root/$build_dir/aoi-convert-qemu
    printf '#!/bin/sh\nexec qemu-aarch64 -L / "%s" "$@"\n' "$root/$build_dir/tools/aoi-convert" >"$wrapper"
    chmod +x "$wrapper"
    AOI_CONVERT=$wrapper weights/fetch.sh "$weights"
  fi
  phase_done weights
fi
export AOI_WEIGHTS=$weights
# With ../shared present (CI), the reference and weights are required: the
# golden tests fail instead of skipping.
if [ -d ../shared/reference ]; then export AOI_REQUIRE_REFERENCE=1 AOI_REQUIRE_WEIGHTS=1; fi

# --- 4. tests under qemu ------------------------------------------------------
# Test binaries run through CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64 -L /).
# Under qemu one ResNet-50 pass costs about 30 CPU seconds (native: 0.06), so
# the default subset keeps the trunk passes that check something new for
# aarch64 (docs/cross-aarch64.md has the costs):
#   kept: the per-stage check of Chelsea on aoi's paths (NEON and scalar:
#   every layer at 1e-5), every kernel test on NEON and scalar, and all the
#   quick suites.
#   left out: DeepPCB (4500 trunk passes, days under qemu), the end-to-end
#   golden test (decode and resize are checked against PIL on aarch64 by
#   Resize.*), the 14-input features test (its trunk passes repeat the
#   per-stage check's kernels, at many times its cost), the Eigen and
#   OpenBLAS reference paths (third-party GEMMs the x86 suite checks), the
#   ResNet-50 no-allocation test (the tiny net's runs) and the scalar
#   thread-count identity test (the NEON one runs).
slow='^DeepPcb\.|Golden\.EndToEndFromTheImageFile/|Golden\.FeaturesFromTheReferenceInputTensor/'
slow+='|Golden\.PerStageActivationsOfChelsea/(eigen|openblas)( |$)'
slow+='|^NoAllocation\.ResNet50|OnEachIsa\.ResultsAreBitIdenticalForEveryThreadCount/scalar( |$)'
# aoi quantize end to end: calibration and about 30 trunk passes in three
# precisions (Int8OnEachIsa checks the int8 kernels on NEON and scalar).
slow+='|^Quantized\.'
case "$mode" in
  subset) exclude=$slow ;;
  full) exclude='^DeepPcb\.' ;;  # DeepPCB would take days under qemu
esac
ctest_args=(--output-on-failure -j"$jobs" -E "$exclude")
echo "cross-aarch64: ctest ($mode) under qemu-aarch64 in $build_dir"
status=0
(cd "$build_dir" && ctest "${ctest_args[@]}" "${ctest_extra[@]}") || status=$?
phase_done "tests"
exit $status
