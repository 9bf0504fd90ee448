#!/usr/bin/env bash
# A/B of the whole trunk: runs two or more builds of peer_aoi (copied aside)
# alternately, ROUNDS times, 20 timed passes each, and prints per build the
# median of the runs' medians, the fastest pass and the feature sums (which
# must agree).
#
#   bench/ab_trunk.sh ROUNDS THREADS PEER_AOI_A PEER_AOI_B [...]
#   WEIGHTS=path/to/resnet50-imagenet.aoiw bench/ab_trunk.sh 6 1 /tmp/pa_old /tmp/pa_new
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
rounds=$1 threads=$2
shift 2
weights=${WEIGHTS:-$HOME/.local/share/aoi/resnet50-imagenet.aoiw}
[ -f "$weights" ] || { echo "ab_trunk: $weights: no such file (set WEIGHTS)" >&2; exit 2; }
for build in "$@"; do
  [ -x "$build" ] || { echo "ab_trunk: $build is not an executable" >&2; exit 2; }
done
for _ in $(seq "$rounds"); do
  for build in "$@"; do
    echo "$build $("$build" --weights "$weights" --threads "$threads" --iterations 20 | tail -1)"
  done
done | python3 -c '
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in sys.stdin:
    build, report = line.split(" ", 1)
    runs[build].append(json.loads(report))
for build, r in runs.items():
    medians, fastest = [x["median_ms"] for x in r], [x["min_ms"] for x in r]
    sums = sorted(set(x["feature_sum"] for x in r))
    print(f"{build}: median of medians {statistics.median(medians):.1f} ms, fastest {min(fastest):.1f} ms, "
          f"feature sums {sums}")'
