#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, fuzzing mode), writes
# their seed corpora (tests/fuzz/make_corpus.cpp), and runs each target for
# SECONDS with aoi's limits: 1 s per input, 2 GB of memory. Prints a table of
# executions, coverage and findings; crashes land in build-fuzz/findings/TARGET/.
#
#   scripts/fuzz.sh [SECONDS=600] [TARGET...]     (AOI_FUZZ_JOBS targets at a time, default: cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-600}
shift || true
build=${AOI_FUZZ_BUILD_DIR:-build-fuzz}
all=(fuzz_image_jpeg fuzz_image_png fuzz_image_tiff fuzz_image_bmp fuzz_weights fuzz_tfjs fuzz_safetensors
  fuzz_manifest fuzz_npy fuzz_gbdt_json fuzz_gbdt_binary fuzz_bundle fuzz_cache_entry fuzz_labels_csv
  fuzz_evaluation_json)
targets=("${@:-${all[@]}}")
[ $# -gt 0 ] && targets=("$@")

command -v clang++ >/dev/null || { echo "fuzz: needs clang (apt-get install clang)" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAOI_BUILD_FUZZERS=ON \
  -DAOI_BUILD_BENCH=OFF -DAOI_ARCH=portable -DAOI_WITH_SERVE=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target make_corpus "${targets[@]}"

corpus=$build/corpus
model_json=${AOI_CACHE:-$HOME/.cache/aoi}/package/model.json
rm -rf "$corpus.seed" && "$build/tests/fuzz/make_corpus" "$corpus.seed" "$model_json"

seed_dir() {  # the seed folder of a target
  case $1 in
    fuzz_image_*) echo "image_${1#fuzz_image_}" ;;
    *) echo "${1#fuzz_}" ;;
  esac
}

run_one() {
  local t=$1 seeds
  seeds=$corpus.seed/$(seed_dir "$t")
  mkdir -p "$corpus/$t" "$build/findings/$t" "$build/logs"
  [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus/$t"/ 2>/dev/null || true
  # -rss_limit_mb and -malloc_limit_mb: no input may hold over 2 GB; -timeout: none may take over 1 s.
  "$build/tests/fuzz/$t" "$corpus/$t" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/findings/$t/" \
    >"$build/logs/$t.log" 2>&1 || true
}

jobs=${AOI_FUZZ_JOBS:-$(nproc)}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  echo "fuzz: $t for $seconds s"
  run_one "$t" &
done
wait

echo
echo "| target | seconds | executions | exec/s | coverage (edges) | features | corpus | findings |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
failed=0
for t in "${targets[@]}"; do
  log=$build/logs/$t.log
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo ?)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || echo ?)
  corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || echo ?)
  findings=$(find "$build/findings/$t" -type f | wc -l)
  [ "$findings" -eq 0 ] || failed=1
  echo "| $t | $seconds | $runs | $rate | $cov | $ft | $corp | $findings |"
done
[ $failed -eq 0 ] || { echo "fuzz: findings in $build/findings (logs in $build/logs)" >&2; exit 1; }
