#!/usr/bin/env bash
# Installs aoi as a vendor would and builds the two tiny C consumers of
# tests/consumers against it, then runs them on the C API fixture and checks
# their verdicts against the C++ API's:
#   1. the static build in ${AOI_BUILD_DIR:-build}: find_package(aoi) from a
#      C-only CMake project, and pkg-config --static;
#   2. a shared build (BUILD_SHARED_LIBS=ON, library only, in build-shared/):
#      libaoi.so.MAJOR as SONAME, only the public API exported, the CMake
#      consumer linked and run against it.
# Needs a finished build (scripts/build.sh). CI runs it (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${AOI_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

fixture=$work/fixture
"$build/tests/make_capi_fixture" "$fixture"
read -r want_p want_verdict < "$fixture/expected.txt"
verdicts=(pass review fail)
check_run() {  # NAME BINARY
  local line
  line=$("$2" "$fixture/model.json" "$fixture/pattern.png" "$fixture/tiny.aoiw") || fail "$1: the consumer failed"
  echo "check-install: $1: $line"
  python3 - "$line" "$want_p" "${verdicts[$want_verdict]}" <<'PY' || fail "$1: result differs from the C++ API's"
import sys
words = sys.argv[1].split()
p = float(words[words.index("p_fail") + 1]); verdict = words[words.index("verdict") + 1]
sys.exit(0 if abs(p - float(sys.argv[2])) < 1e-5 and verdict == sys.argv[3] else 1)
PY
}

# 1. Static.
prefix=$work/static
cmake --install "$build" --prefix "$prefix" >/dev/null
headers=$(cd "$prefix/include/aoi" && ls | tr '\n' ' ')
[ "$headers" = "aoi.h error.hpp export.h inspector.hpp version.h " ] || fail "installed headers are '$headers'"
[ -f "$prefix/lib/libaoi.a" ] || fail "no libaoi.a"
[ -f "$prefix/lib/cmake/aoi/aoiConfig.cmake" ] && [ -f "$prefix/lib/cmake/aoi/aoiConfigVersion.cmake" ] || fail "no CMake package"
[ -f "$prefix/lib/pkgconfig/aoi.pc" ] || fail "no aoi.pc"
"$prefix/bin/aoi" --version | grep "^aoi $(sed -n 's/^project(aoi VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)" >/dev/null || fail "aoi --version"

cmake -S tests/consumers/cmake_c -B "$work/cmake_static" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake_static" >/dev/null
check_run "find_package(aoi), static" "$work/cmake_static/inspect"

PKG_CONFIG_PATH=$prefix/lib/pkgconfig tests/consumers/pkgconfig_c/build.sh "$work/pkgconfig_static"
check_run "pkg-config --static" "$work/pkgconfig_static"

# 2. Shared.
shared_build=${AOI_SHARED_BUILD_DIR:-build-shared}
cmake -S . -B "$shared_build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DAOI_BUILD_CLI=OFF \
  -DAOI_BUILD_TESTS=OFF -DAOI_BUILD_BENCH=OFF -DAOI_ARCH="${AOI_ARCH:-portable}" >/dev/null
cmake --build "$shared_build" -j"$(nproc)" >/dev/null
prefix=$work/shared
cmake --install "$shared_build" --prefix "$prefix" >/dev/null
so=$(readlink -f "$prefix/lib/libaoi.so")
major=$(sed -n 's/^project(aoi VERSION \([0-9]*\)\..*/\1/p' CMakeLists.txt)
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libaoi.so.$major" ] || fail "SONAME is '$soname'"
# Exported: the C API and the C++ public classes (namespace aoi), nothing else.
others=$(nm -D --defined-only "$so" | awk '{sub(/@.*/, "", $3); print $3}' | grep -v -E '^(aoi_|_ZN3aoi|_ZNK3aoi|_ZTIN3aoi|_ZTSN3aoi|_ZTVN3aoi|AOI_[0-9]+$|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
[ -z "$others" ] || fail "libaoi.so exports more than its API: $(echo "$others" | head -5 | tr '\n' ' ')"
internal=$(nm -D --defined-only "$so" | awk '{print $3}' | c++filt | grep -E '^aoi::(kernels|nn|gbdt|pipeline|io|image|weights|par)::' | head -3 || true)
[ -z "$internal" ] || fail "libaoi.so exports internals: $internal"
cmake -S tests/consumers/cmake_c -B "$work/cmake_shared" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake_shared" >/dev/null
# Not grep -q: under pipefail, ldd killed by SIGPIPE after an early match
# would fail the check at random.
ldd "$work/cmake_shared/inspect" | grep "libaoi.so.$major => $prefix" >/dev/null || fail "the consumer does not load the installed libaoi.so"
check_run "find_package(aoi), shared" "$work/cmake_shared/inspect"
echo "check-install: all consumers built and agree with the C++ API"
