#!/usr/bin/env bash
# A C program built against an installed aoi with nothing but pkg-config:
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig tests/consumers/pkgconfig_c/build.sh OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTPUT}
cc -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags aoi) "$here/../inspect.c" -o "$out" \
  $(pkg-config --static --libs aoi)
