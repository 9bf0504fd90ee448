#!/usr/bin/env bash
# Configures and builds aoi into ${AOI_BUILD_DIR:-build}. AOI_ARCH=portable|native
# (default native: this build runs on the machine that built it).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${AOI_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DAOI_ARCH="${AOI_ARCH:-native}" ${AOI_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
