#!/usr/bin/env bash
# Builds LightGBM's shared library from ../shared/peers/lightgbm-src.tar.gz,
# a benchmark peer of aoi's GBDT (never a dependency), as ../shared/README.md
# describes: Debian's Eigen for its bundled one, CMake 3.25 accepted.
#
#   bench/peers/build_lightgbm.sh [OUT_DIR]   # default build/peers/lightgbm
#
# Prints the path of lib_lightgbm.so; a second run reuses the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src_tar=${AOI_LIGHTGBM_SRC:-$root/../shared/peers/lightgbm-src.tar.gz}
out=$(mkdir -p "${1:-$root/build/peers/lightgbm}" && cd "${1:-$root/build/peers/lightgbm}" && pwd)
lib=$(find "$out" -name lib_lightgbm.so -print -quit 2>/dev/null || true)
if [ -n "$lib" ]; then echo "$lib"; exit 0; fi
[ -f "$src_tar" ] || { echo "build_lightgbm: no $src_tar" >&2; exit 1; }
tar -xzf "$src_tar" -C "$out"
src=$out/lightgbm
[ -f "$src/CMakeLists.txt" ] || { echo "build_lightgbm: no CMakeLists.txt in $src_tar" >&2; exit 1; }
rm -rf "$src/external_libs/eigen" && mkdir -p "$src/external_libs" && ln -s /usr/include/eigen3 "$src/external_libs/eigen"
sed -i -E 's/cmake_minimum_required\(VERSION [0-9.]+\)/cmake_minimum_required(VERSION 3.25)/' "$src/CMakeLists.txt"
cmake -S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release >"$out/cmake.log" 2>&1 ||
  { tail -30 "$out/cmake.log" >&2; exit 1; }
cmake --build "$out/build" --target _lightgbm -j"$(nproc)" >"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log" >&2; exit 1; }
find "$out" -name lib_lightgbm.so -print -quit
