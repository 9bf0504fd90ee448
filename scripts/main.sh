#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install packages,
# build, fetch and convert the weights, then run the inspection pipeline.
#
#   scripts/main.sh                 DeepPCB from ../shared: build pass/fail crops,
#                                   time-based CV (JSON + HTML report), train, score
#   scripts/main.sh FOLDER          FOLDER/manifest.csv if there is one (the same
#                                   pipeline on your data); otherwise score FOLDER's
#                                   images with the model trained on DeepPCB
#
# Results go to out/ (AOI_OUT to change); features are cached, so a second run
# does no trunk work.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
aoi=$root/${AOI_BUILD_DIR:-build}/src/cli/aoi
out=${AOI_OUT:-$root/out}
mkdir -p "$out"
"$aoi" info

# stage NAME OUTPUT COMMAND...: runs, reports the wall time, and stops the job
# unless OUTPUT exists afterwards. aoi exits 1 when it skipped some bad items
# (each reported by name) yet wrote its results, so the exit code alone is not
# the test.
stage() {
  local name=$1 output=$2 start=$SECONDS rc=0
  shift 2
  echo
  echo "== $name =="
  rm -f "$output"
  "$@" || rc=$?
  echo "-- $name: $((SECONDS - start)) s (exit $rc)"
  [ -e "$output" ] || { echo "main: $name failed" >&2; exit 1; }
}

# evaluate + train + score one manifest into $out/$name/
pipeline() {
  local manifest=$1 dir=$out/$2
  mkdir -p "$dir"
  stage "evaluate (5-fold time-based CV)" "$dir/evaluation.json" "$aoi" evaluate --manifest "$manifest" --cv time \
    --folds 5 --json "$dir/evaluation.json" --report "$dir/report.html"
  stage "train" "$dir/model.json" "$aoi" train --manifest "$manifest" --thresholds-from "$dir/evaluation.json" \
    -o "$dir/model.json"
  stage "score" "$dir/scores.csv" "$aoi" score --model "$dir/model.json" --manifest "$manifest" -o "$dir/scores.csv"
  echo
  echo "report:  $dir/report.html"
  echo "results: $dir/evaluation.json, $dir/model.json, $dir/scores.csv"
}

deeppcb=$root/../shared/datasets/deeppcb
if [ $# -ge 1 ] && [ -f "$1/manifest.csv" ]; then
  pipeline "$1/manifest.csv" "$(basename "$1")"
  exit 0
fi
if [ -d "$deeppcb/PCBData" ]; then
  stage "build DeepPCB manifest" "$out/deeppcb/manifest.csv" python3 tools/deeppcb/build_manifest.py "$deeppcb" -o "$out/deeppcb/manifest.csv"
  pipeline "$out/deeppcb/manifest.csv" deeppcb
fi
if [ $# -ge 1 ]; then
  [ -f "$out/deeppcb/model.json" ] || { echo "main: $1 has no manifest.csv and there is no DeepPCB model to score it with" >&2; exit 1; }
  stage "score $1" "$out/scores-$(basename "$1").csv" "$aoi" score --model "$out/deeppcb/model.json" -o "$out/scores-$(basename "$1").csv" "$1"
  echo "results: $out/scores-$(basename "$1").csv"
elif [ ! -d "$deeppcb/PCBData" ]; then
  echo "main: no ../shared/datasets/deeppcb and no folder given; featurizing the reference images instead"
  "$aoi" featurize -o "$out/features.npy" --rows "$out/features.rows.txt" "$root/../shared/reference/images"
fi
