#!/usr/bin/env bash
# A/B of kernel or trunk timings: runs two or more builds (copied aside, e.g.
# to /tmp) alternately, ROUNDS times, so that a shared machine's drift falls
# on all of them alike, and prints per build the fastest and the median time.
# On a shared machine the fastest is the steadier figure.
#
#   bench/ab_builds.sh kernels FILTER ROUNDS BENCH_KERNELS_A BENCH_KERNELS_B [...]
#       every bench_kernels benchmark matching FILTER, five repetitions a round
#   bench/ab_builds.sh trunk THREADS ROUNDS PEER_AOI_A PEER_AOI_B [...]
#       the whole trunk, 20 passes a round (WEIGHTS= overrides the weights);
#       also prints the feature sums, which must agree
#   bench/ab_builds.sh steps THREADS ROUNDS TRUNK_STEPS_A TRUNK_STEPS_B [...]
#       the trunk's steps summed by group (stem, resN 1x1, resN 3x3; the
#       fastest of 20 passes of each step in a round), as the docs' per-stage
#       A/B figures
#
#   bench/ab_builds.sh kernels '^res[345]_1x1s2_[0-9_]+/threads:1/cold:[01]' 3 /tmp/bk_old /tmp/bk_new
#   bench/ab_builds.sh trunk 1 6 /tmp/pa_old /tmp/pa_new
#   bench/ab_builds.sh steps 2 5 /tmp/ts_old /tmp/ts_new
set -euo pipefail
. "$(dirname "$0")/ab_common.sh"
if [ $# -lt 4 ] || { [ "$1" != kernels ] && [ "$1" != trunk ] && [ "$1" != steps ]; }; then ab_usage "$0" 2,19; fi
mode=$1 arg=$2 rounds=$3
shift 3
ab_require_executables ab_builds "$@"
weights=${WEIGHTS:-$HOME/.local/share/aoi/resnet50-imagenet.aoiw}
if [ "$mode" != kernels ] && [ ! -f "$weights" ]; then
  echo "ab_builds: $weights: no such file (set WEIGHTS)" >&2
  exit 2
fi

# One line per timing: build, name, milliseconds, feature sum (trunk only).
run_once() {
  if [ "$mode" = kernels ]; then
    "$1" --benchmark_filter="$arg" --benchmark_repetitions=5 2>/dev/null |
      awk -v b="$1" '$1 ~ /manual_time$/ {print b, $1, $2 / 1000, "-"}'
  elif [ "$mode" = steps ]; then
    "$1" --weights "$weights" --threads "$arg" --iterations 20 |
      python3 -c '
import collections, json, sys
groups = collections.defaultdict(float)
for line in sys.stdin:
    s = json.loads(line)
    if "step" not in s:
        continue  # the closing line of measured peaks
    if s["step"] == "global_pool":
        name = "global_pool"
    elif s["kind"] in ("input", "stem", "pool"):
        name = "stem"  # with the input conversion and the max pool
    else:
        name = s["step"][:4] + " " + s["kind"]
    groups[name] += s["min_ms"]
for name, ms in groups.items():
    print(sys.argv[1], name.replace(" ", "_"), ms, "-")' "$1"
  else
    "$1" --weights "$weights" --threads "$arg" --iterations 20 | tail -1 |
      python3 -c 'import json, sys; r = json.load(sys.stdin); print(sys.argv[1], "trunk", r["median_ms"], r["min_ms"], r["feature_sum"])' "$1"
  fi
}

for _ in $(seq "$rounds"); do
  for build in "$@"; do run_once "$build"; done
done | python3 -c '
import collections, statistics, sys
times, fastest, sums = collections.defaultdict(list), {}, collections.defaultdict(set)
for line in sys.stdin:
    fields = line.split()
    key = (fields[1], fields[0])
    times[key].append(float(fields[2]))
    if len(fields) == 5:  # trunk: median, fastest pass, feature sum
        fastest[key] = min(fastest.get(key, float("inf")), float(fields[3]))
        sums[key].add(fields[4])
    else:
        fastest[key] = min(fastest.get(key, float("inf")), float(fields[2]))
for key in sorted(times):
    name, build = key
    extra = f"  feature sums {sorted(sums[key])}" if sums[key] else ""
    print(f"{name:50s} {build:24s} fastest {fastest[key]:8.3f} ms  median {statistics.median(times[key]):8.3f} ms"
          f"  n {len(times[key])}{extra}")'
