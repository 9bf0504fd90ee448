#!/usr/bin/env bash
# A/B of GBDT training time: runs `aoi gbdt train` of two or more builds of
# the aoi CLI alternately (so that the shared machine's drift falls on all of
# them alike) on one data set, and prints each build's times and median.
#
#   bench/ab_gbdt_train.sh PREFIX ROUNDS REPS AOI_A AOI_B [AOI_C ...]
#
# PREFIX_train_x.npy / PREFIX_train_y.npy as written by bench/make_synthetic.py
# or bench/deeppcb_split.py; one thread; the settings compare_xgboost.py uses,
# plus the space-separated NAME=VALUE items of $AOI_GBDT_PARAMS (e.g.
# grad_quant_bins=64). Also prints each build's leaf count, which differs
# when a change alters the trees.
set -euo pipefail
. "$(dirname "$0")/ab_common.sh"
[ $# -ge 5 ] || ab_usage "$0" 2,12
prefix=$1 rounds=$2 reps=$3
shift 3
ab_require_executables ab_gbdt_train "$@"
for f in "${prefix}_train_x.npy" "${prefix}_train_y.npy"; do
  [ -f "$f" ] || { echo "ab_gbdt_train: $f: no such file" >&2; exit 2; }
done
model=$(mktemp --suffix=.aoig)
trap 'rm -f "$model"' EXIT

extra=()
for item in ${AOI_GBDT_PARAMS:-}; do extra+=(-p "$item"); done
declare -A times leaves
for _ in $(seq "$reps"); do
  for build in "$@"; do
    out=$("$build" gbdt train --features "${prefix}_train_x.npy" --labels "${prefix}_train_y.npy" --threads 1 \
      -o "$model" -p num_rounds="$rounds" -p num_leaves=31 -p learning_rate=0.1 -p max_bin=255 \
      -p lambda_l2=1 -p min_sum_hessian_in_leaf=1 -p min_data_in_leaf=1 "${extra[@]}" 2>&1)
    seconds=$(grep -o 'in [0-9.]* s' <<<"$out" | grep -o '[0-9.]*' | tail -1)
    [ -n "$seconds" ] || { echo "ab_gbdt_train: $build printed no training time:" >&2; echo "$out" >&2; exit 1; }
    times[$build]="${times[$build]:-} $seconds"
    leaves[$build]=$(grep -o '([0-9]* leaves)' <<<"$out" | grep -o '[0-9]*' | tail -1 || true)
  done
done
for build in "$@"; do
  sorted=$(tr ' ' '\n' <<<"${times[$build]}" | grep . | sort -n)
  median=$(awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}' <<<"$sorted")
  echo "$build: $(tr '\n' ' ' <<<"$sorted")median $median s, ${leaves[$build]:-?} leaves"
done
