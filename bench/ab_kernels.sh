#!/usr/bin/env bash
# A/B of kernel timings: runs two or more builds of bench_kernels (copied
# aside, e.g. to /tmp) alternately, ROUNDS times, each with five repetitions
# of every benchmark matching FILTER, and prints each benchmark's fastest and
# median time per build. On a shared machine the fastest is the steadier
# figure; alternating spreads drift over all builds alike.
#
#   bench/ab_kernels.sh FILTER ROUNDS BENCH_A BENCH_B [BENCH_C ...]
#   bench/ab_kernels.sh '^res[345]_1x1s2_[0-9_]+/threads:1/cold:[01]' 3 /tmp/bk_old /tmp/bk_new
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
filter=$1 rounds=$2
shift 2
for build in "$@"; do
  [ -x "$build" ] || { echo "ab_kernels: $build is not an executable" >&2; exit 2; }
done
for _ in $(seq "$rounds"); do
  for build in "$@"; do
    "$build" --benchmark_filter="$filter" --benchmark_repetitions=5 2>/dev/null |
      awk -v b="$build" '$1 ~ /manual_time$/ {print b, $1, $2}'
  done
done | python3 -c '
import collections, statistics, sys
times = collections.defaultdict(list)
for line in sys.stdin:
    build, name, us = line.split()
    times[(name, build)].append(float(us))
for (name, build), v in sorted(times.items()):
    print(f"{name:55s} {build:24s} fastest {min(v):8.0f} us  median {statistics.median(v):8.0f} us  n {len(v)}")'
