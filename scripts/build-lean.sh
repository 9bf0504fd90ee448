#!/usr/bin/env bash
# The lean edge runtime: libaoi with aoi's own thread pool (AOI_THREADS=std),
# no TIFF, no OpenBLAS, code that runs once per file or request compiled for
# size (AOI_SIZE_OPTIMIZED_COLD_CODE), unused sections dropped, the CLI linked fully
# statically, into build-lean/. Then it
#   - links a C consumer (tests/consumers/inspect.c) fully statically and runs
#     it on the real ResNet-50 and a bundle trained on it (the fixture comes
#     from the main build's make_capi_fixture; needs weights/fetch.sh),
#   - measures: stripped sizes, ldd, and the peak RSS of that inspection, and
#     prints a table (the README's).
# With --tests it also builds and runs the suite in this configuration (the
# std thread pool, no TIFF); the TSan pass runs that pool too.
#
#   scripts/build-lean.sh [--tests]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${AOI_LEAN_BUILD_DIR:-build-lean}
run_tests=0
[ "${1:-}" = "--tests" ] && run_tests=1
tests=OFF
[ "$run_tests" = 1 ] && tests=ON
multiarch=$(gcc -print-multiarch)
lib=/usr/lib/$multiarch
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAOI_ARCH="${AOI_ARCH:-portable}" \
  -DAOI_THREADS=std -DAOI_WITH_TIFF=OFF -DAOI_WITH_OPENBLAS=OFF -DAOI_BUILD_BENCH=OFF -DAOI_STATIC_EXECUTABLES=ON -DAOI_WITH_SERVE=OFF \
  -DAOI_SIZE_OPTIMIZED_COLD_CODE=ON \
  -DAOI_BUILD_TESTS=$tests \
  -DCMAKE_CXX_FLAGS="-ffunction-sections -fdata-sections" -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--gc-sections" \
  -DJPEG_LIBRARY_RELEASE="$lib/libjpeg.a" -DPNG_LIBRARY_RELEASE="$lib/libpng16.a" -DZLIB_LIBRARY_RELEASE="$lib/libz.a" >/dev/null
cmake --build "$build" -j"$(nproc)"

if [ "$run_tests" = 1 ]; then
  # The threaded kernels and trunk, decoders, the C API, GBDT (also threaded).
  (cd "$build" && ctest -j"$(nproc)" --output-on-failure -E DeepPcb)
fi

out=$build/lean
mkdir -p "$out"
gcc -std=c99 -O2 -static -ffunction-sections -fdata-sections -Wl,--gc-sections -I include -I "$build/include" \
  tests/consumers/inspect.c "$build/src/libaoi.a" "$lib/libpng16.a" "$lib/libjpeg.a" "$lib/libz.a" \
  -lstdc++ -lm -lpthread -o "$out/inspect"
strip -o "$out/inspect.stripped" "$out/inspect"
strip -o "$out/aoi.stripped" "$build/src/cli/aoi"

weights=${AOI_WEIGHTS:-${XDG_DATA_HOME:-$HOME/.local/share}/aoi/resnet50-imagenet.aoiw}
rss="-"
if [ -f "$weights" ]; then
  fixture=$out/fixture
  [ -f "$fixture/model.json" ] || "${AOI_BUILD_DIR:-build}/tests/make_capi_fixture" "$fixture" "$weights" >/dev/null
  rss=$(python3 - "$out/inspect.stripped" "$fixture/model.json" "$fixture/pattern.png" "$weights" <<'PY'
import resource, subprocess, sys
line = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
assert "verdict" in line, line
print("%.0f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
PY
)
fi
size_mb() { python3 -c "import os,sys; print('%.2f' % (os.path.getsize(sys.argv[1]) / 1e6))" "$1"; }
deps() {
  local out
  out=$(ldd "$1" 2>&1 || true)
  if grep -q "not a dynamic executable" <<<"$out"; then echo "not a dynamic executable (static)"; else awk '{print $1}' <<<"$out" | tr '\n' ' '; fi
}
echo
echo "| binary | stripped size (MB) | ldd | peak RSS, one 80x60 PNG through ResNet-50 fp32 (MB) |"
echo "| --- | --- | --- | --- |"
echo "| C consumer (tests/consumers/inspect.c), -static | $(size_mb "$out/inspect.stripped") | $(deps "$out/inspect.stripped") | $rss |"
echo "| aoi CLI, AOI_STATIC_EXECUTABLES=ON | $(size_mb "$out/aoi.stripped") | $(deps "$out/aoi.stripped") | |"
