#!/usr/bin/env bash
# Builds libtbb with ThreadSanitizer from Debian's own source of the oneTBB
# that is installed (same version, same ABI), into build-tsan-tbb/lib. The
# TSan pass runs aoi's tests against it (LD_LIBRARY_PATH), so TBB's hand-offs
# between threads are visible to TSan and need no suppressions
# (docs/sanitizers.md). Needs deb-src entries: added if missing (root/sudo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-tsan-tbb"
lib="$out/lib/libtbb.so.12"
if [ -f "$lib" ]; then echo "build-tsan-tbb: $lib present"; exit 0; fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
version=$(dpkg-query -W -f='${Version}' libtbb-dev)
if ! apt-get source --print-uris -qq "onetbb=$version" >/dev/null 2>&1; then
  echo "build-tsan-tbb: adding Debian source entries (deb-src) to fetch onetbb $version"
  . /etc/os-release
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\n' \
    "$VERSION_CODENAME" "$VERSION_CODENAME" | $sudo tee /etc/apt/sources.list.d/aoi-deb-src.sources >/dev/null
  $sudo apt-get update -qq
fi
dpkg-query -W -f='${Status}' dpkg-dev 2>/dev/null | grep -q "install ok installed" ||
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null

rm -rf "$out" && mkdir -p "$out/src" "$out/lib"
(cd "$out/src" && apt-get source -qq "onetbb=$version" >/dev/null 2>&1)
src=$(find "$out/src" -maxdepth 1 -mindepth 1 -type d -name 'onetbb-*' | head -1)
cmake -S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF \
  -DTBB_STRICT=OFF -DTBB_SANITIZE=thread >/dev/null
cmake --build "$out/build" -j"$(nproc)" --target tbb >/dev/null 2>&1
cp -a "$(dirname "$(find "$out/build" -name 'libtbb.so.12' | head -1)")"/libtbb.so* "$out/lib/"
echo "build-tsan-tbb: built $lib from onetbb $version"
