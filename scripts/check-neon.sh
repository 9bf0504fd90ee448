#!/usr/bin/env bash
# Cross-compiles the NEON micro-kernel for aarch64 and checks it against a
# naive product under qemu-user (tests/cross/microkernel_check.cpp). Needs
# g++-aarch64-linux-gnu and qemu-user (Debian packages; scripts/install-deps.sh
# installs them). Also run by CTest as Neon.MicroKernelUnderQemu when present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/build/cross"}
mkdir -p "$out"
aarch64-linux-gnu-g++ -std=c++20 -O2 -static -I"$root/src" -I"$root/include" -I"$root/tests" \
  "$root/tests/cross/microkernel_check.cpp" "$root/src/kernels/arm/microkernel_neon.cpp" -o "$out/microkernel_check"
qemu-aarch64 "$out/microkernel_check"
