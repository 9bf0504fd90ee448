#!/usr/bin/env bash
# Re-runs the benchmarks behind the figure tables of the docs and rewrites
# each table in place, between its <!-- report:NAME begin/end --> markers,
# with the command, the CPU and the date, and writes its figures to
# docs/figures/NAME.json (bench/report_tables.py). Tables are replaced, never
# appended: the history of runs is in git. Run it on an otherwise idle machine
# from a Release build with benchmarks (scripts/build.sh), then commit the
# docs and docs/figures together.
#
#   bench/report.sh [NAME...]          default: every table
#
#   peers              docs/kernels.md   bench/compare_peers.py: aoi against oneDNN (libdnnl-dev),
#                                        PyTorch, OpenCV (python3-torch, python3-opencv), whichever are there;
#                                        fp32, int8 (a file calibrated on 64 DeepPCB crops) and bf16
#                      README.md         (table headline: aoi / oneDNN per precision, each / fp32)
#   peers_avx2         docs/kernels.md   the same for fp32 and int8 on the AVX2 path, forced on both sides
#   per_layer          docs/kernels.md   bench/per_layer.py: aoi's steps against oneDNN's primitives
#   per_layer_int8     docs/kernels.md   the same in int8
#   per_layer_bf16     docs/kernels.md   the same in bf16 (on a CPU with bf16 arithmetic)
#   per_layer_avx2     docs/kernels.md   per_layer with the AVX2 path forced on both sides
#   per_layer_int8_avx2 docs/kernels.md  per_layer_int8 the same way
#   scaling            docs/kernels.md   bench/batch_scaling.py: batch 8 on 1 and 2 threads, fp32 and int8
#   precision          docs/precision.md bench/compare_precision.py: time-CV AUC of fp32, int8 and bf16
#                                        files on DeepPCB and a synthetic textured set
#   xgboost_synthetic  docs/gbdt.md      bench/compare_xgboost.py (python3-xgboost) on bench/make_synthetic.py's set
#   xgboost_deeppcb    docs/gbdt.md      the same on DeepPCB trunk features
#   xgboost_small      docs/gbdt.md      the same on a new line's first set: the 1,625 earliest DeepPCB
#                                        crops, res5's 2048 features
#   xgboost_small_quantized  docs/gbdt.md  the same with aoi's quantized gradients (grad_quant_bins=64)
#   xgboost_synthetic_quantized  docs/gbdt.md  the synthetic set so (16,000 training rows: within the limit)
#   featurize_cost     README.md         bench/featurize_cost.py: aoi featurize's whole cost per extra
#                                        768x576 JPEG against the trunk alone, aoi's and oneDNN's
#   compact            README.md         bench/compare_peers.py: the fp32 trunk with compact weights
#                                        against the default and oneDNN
#   cold_start         README.md         bench/cold_start.py: one-image featurize and score, whole
#                                        process, packing at start against a mapped pack file
#   lean               README.md         scripts/build-lean.sh: static sizes, ldd, peak RSS of one inspection
#   fuzz               docs/fuzzing.md   scripts/fuzz.sh 600: every libFuzzer target for ten minutes
#   neon_loops         docs/kernels.md   bench/neon_loop_counts.py: instruction counts of the aarch64
#                                        kernels' inner loops in build-aarch64 (a static model)
#   accuracy           docs/accuracy.md  bench/compare_accuracy.py: recipes and modes on DeepPCB and
#                      README.md         synthetic textured and EL-like sets (time-CV AUC, auto-pass,
#                                        cost); the README gets the supervised rows (table recipes)
#   serve              README.md         bench/serve_load.py: aoi serve for 2 minutes at 8 clients against
#                                        aoi score on the same 64 DeepPCB images
#
# Environment: AOI_BUILD_DIR (build), AOI_WEIGHTS
# (~/.local/share/aoi/resnet50-imagenet.aoiw), AOI_DEEPPCB
# (../shared/datasets/deeppcb), AOI_REPORT_CPU and AOI_REPORT_DATE (override
# what /proc/cpuinfo and the clock say).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${AOI_BUILD_DIR:-build}
weights=${AOI_WEIGHTS:-$HOME/.local/share/aoi/resnet50-imagenet.aoiw}
deeppcb=${AOI_DEEPPCB:-$root/../shared/datasets/deeppcb}
all=(peers peers_avx2 per_layer per_layer_int8 per_layer_bf16 per_layer_avx2 per_layer_int8_avx2 scaling precision xgboost_synthetic xgboost_synthetic_quantized xgboost_deeppcb xgboost_small xgboost_small_quantized featurize_cost compact cold_start lean fuzz neon_loops accuracy serve)
names=("${@:-${all[@]}}")
for name in "${names[@]}"; do
  [[ " ${all[*]} " == *" $name "* ]] || { echo "report: unknown table '$name' (known: ${all[*]})" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aoi_report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# report NAME DOC FORMAT COMMAND OUTPUT [RAW_JSON]
report() {
  python3 bench/report_tables.py "$1" --doc "$2" --format "$3" --command "$4" --input "$5" ${6:+--raw "$6"} --figures docs/figures \
    ${AOI_REPORT_CPU:+--cpu "$AOI_REPORT_CPU"} ${AOI_REPORT_DATE:+--date "$AOI_REPORT_DATE"}
}

need() {
  for f in "$@"; do
    [ -e "$f" ] || { echo "report: $f is missing (build with scripts/build.sh; weights with weights/fetch.sh)" >&2; exit 1; }
  done
}

# A bundle from every 15th DeepPCB region of each label, in DIR/model.json:
# enough for a real model where a benchmark does not depend on its quality.
# WEIGHTS (default: the float32 file) is the weight file it is trained with.
sample_bundle() {
  need "$deeppcb" "$build/src/cli/aoi" "$weights"
  mkdir -p "$1"
  python3 tools/deeppcb/build_manifest.py "$deeppcb" -o "$1/all.csv"
  awk -F, 'NR == 1 || NR % 15 == 2 || NR % 15 == 3' "$1/all.csv" >"$1/manifest.csv"
  "$build/src/cli/aoi" --quiet train --weights "${2:-$weights}" --no-cache --manifest "$1/manifest.csv" \
    -o "$1/model.json"
}

# An int8 weight file calibrated on 64 DeepPCB crops, in $tmp/int8.aoiw.
int8_weights() {
  [ -f "$tmp/int8.aoiw" ] && return
  need "$deeppcb" "$build/src/cli/aoi" "$weights"
  mkdir -p "$tmp/q"
  python3 tools/deeppcb/build_manifest.py "$deeppcb" -o "$tmp/q/all.csv"
  "$build/src/cli/aoi" --quiet quantize --weights "$weights" --manifest "$tmp/q/all.csv" -o "$tmp/int8.aoiw"
}

bf16_weights() {
  [ -f "$tmp/bf16.aoiw" ] && return
  need "$build/src/cli/aoi" "$weights"
  "$build/src/cli/aoi" --quiet quantize --precision bf16 --weights "$weights" -o "$tmp/bf16.aoiw"
}

# The DeepPCB manifest and its features, made once per run.
deeppcb_features() {
  [ -f "$tmp/dp/F.npy" ] && return
  need "$deeppcb" "$build/src/cli/aoi" "$weights"
  mkdir -p "$tmp/dp"
  python3 tools/deeppcb/build_manifest.py "$deeppcb" -o "$tmp/dp/manifest.csv"
  "$build/src/cli/aoi" featurize --weights "$weights" --cache "$tmp/dp/cache" --manifest "$tmp/dp/manifest.csv" \
    -o "$tmp/dp/F.npy"
}

for name in "${names[@]}"; do
  echo "report: $name ($(date -u +%H:%M:%S))" >&2
  case $name in
    peers)
      int8_weights
      bf16_weights
      cmd=(python3 bench/compare_peers.py --rounds 10 --iterations 20 --threads "1,2" --batch 1)
      "${cmd[@]}" --build "$build" --weights "$weights" --int8-weights "$tmp/int8.aoiw" --bf16-weights "$tmp/bf16.aoiw" \
        --json "$tmp/peers.json" --headline "$tmp/headline.md" >"$tmp/peers.md"
      what="--int8-weights <aoi quantize on 64 DeepPCB crops> --bf16-weights <aoi quantize --precision bf16>"
      report peers docs/kernels.md markdown "${cmd[*]} $what" "$tmp/peers.md" "$tmp/peers.json"
      report headline README.md markdown "${cmd[*]} $what" "$tmp/headline.md" ;;
    peers_avx2)
      # The AVX2 path forced on both sides (on an AVX2-only CPU, its own path).
      int8_weights
      cmd=(python3 bench/compare_peers.py --rounds 6 --iterations 20 --threads "1,2" --batch 1 --peers aoi,onednn)
      AOI_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 "${cmd[@]}" --build "$build" --weights "$weights" \
        --int8-weights "$tmp/int8.aoiw" --json "$tmp/peers_avx2.json" >"$tmp/peers_avx2.md"
      report peers_avx2 docs/kernels.md markdown \
        "AOI_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 ${cmd[*]} --int8-weights <aoi quantize on 64 DeepPCB crops>" \
        "$tmp/peers_avx2.md" "$tmp/peers_avx2.json" ;;
    per_layer | per_layer_int8 | per_layer_bf16 | per_layer_avx2 | per_layer_int8_avx2)
      # per_layer[_PRECISION][_avx2]: _avx2 forces the AVX2 path on both sides,
      # as peers_avx2 (shares of that path's peaks).
      precision=fp32 w=$weights what="" isa=()
      case $name in
        *int8*) int8_weights; precision=int8 w=$tmp/int8.aoiw what=" --weights <aoi quantize on 64 DeepPCB crops>" ;;
        *bf16*) bf16_weights; precision=bf16 w=$tmp/bf16.aoiw what=" --weights <aoi quantize --precision bf16>" ;;
      esac
      [[ $name == *_avx2 ]] && isa=(AOI_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2)
      cmd=(python3 bench/per_layer.py --threads "1,2" --runs 2 --iterations 20 --precision "$precision")
      env "${isa[@]}" "${cmd[@]}" --build "$build" --weights "$w" --fp32-weights "$weights" >"$tmp/$name.md"
      report "$name" docs/kernels.md markdown "${isa[*]:+${isa[*]} }${cmd[*]}$what" "$tmp/$name.md" ;;
    scaling)
      int8_weights
      cmd=(python3 bench/batch_scaling.py --repetitions 5)
      "${cmd[@]}" --build "$build" --weights "$weights" --int8-weights "$tmp/int8.aoiw" >"$tmp/scaling.md"
      report scaling docs/kernels.md markdown "${cmd[*]} --int8-weights <aoi quantize on 64 DeepPCB crops>" \
        "$tmp/scaling.md" ;;
    precision)
      need "$deeppcb" "$build/src/cli/aoi" "$build/tools/aoi-make-textured-defects" "$weights"
      cmd=(python3 bench/compare_precision.py --count 600 --threads 2)
      "${cmd[@]}" --build "$build" --weights "$weights" --deeppcb "$deeppcb" >"$tmp/precision.md"
      report precision docs/precision.md markdown "${cmd[*]}" "$tmp/precision.md" ;;
    xgboost_synthetic | xgboost_synthetic_quantized)
      # The _quantized table: aoi with quantized gradients, the peers as before.
      quant=()
      [[ $name == *_quantized ]] && quant=(--aoi-param grad_quant_bins=64)
      python3 bench/make_synthetic.py "$tmp/syn"
      python3 bench/compare_xgboost.py --build "$build" --data "$tmp/syn" "${quant[@]}" >"$tmp/$name.md"
      report "$name" docs/gbdt.md markdown \
        "bench/make_synthetic.py /tmp/syn && bench/compare_xgboost.py --data /tmp/syn${quant:+ ${quant[*]}}" "$tmp/$name.md" ;;
    xgboost_deeppcb)
      deeppcb_features
      python3 bench/deeppcb_split.py "$tmp/dp/manifest.csv" "$tmp/dp/F.npy" "$tmp/dp/deeppcb"
      python3 bench/compare_xgboost.py --build "$build" --data "$tmp/dp/deeppcb" >"$tmp/xd.md"
      report xgboost_deeppcb docs/gbdt.md markdown \
        "bench/deeppcb_split.py M.csv F.npy /tmp/dp && bench/compare_xgboost.py --data /tmp/dp" "$tmp/xd.md" ;;
    xgboost_small | xgboost_small_quantized)
      quant=()
      [[ $name == *_quantized ]] && quant=(--aoi-param grad_quant_bins=64)
      deeppcb_features
      python3 bench/deeppcb_split.py "$tmp/dp/manifest.csv" "$tmp/dp/F.npy" "$tmp/dp/small" --first 1625 --columns 2048
      python3 bench/compare_xgboost.py --build "$build" --data "$tmp/dp/small" --repeats 3 "${quant[@]}" >"$tmp/$name.md"
      report "$name" docs/gbdt.md markdown \
        "bench/deeppcb_split.py M.csv F.npy /tmp/small --first 1625 --columns 2048 && bench/compare_xgboost.py --data /tmp/small --repeats 3${quant:+ ${quant[*]}}" \
        "$tmp/$name.md" ;;
    featurize_cost)
      need "$deeppcb" "$weights"
      cmd=(python3 bench/featurize_cost.py --images 32 --rounds 7 --threads 1,2)
      "${cmd[@]}" --build "$build" --weights "$weights" --deeppcb "$deeppcb" >"$tmp/featurize_cost.md"
      report featurize_cost README.md markdown "${cmd[*]} --deeppcb <DeepPCB>" "$tmp/featurize_cost.md" ;;
    compact)
      need "$weights"
      cmd=(python3 bench/compare_peers.py --rounds 8 --iterations 20 --threads "1,2" --batch 1 --peers aoi,aoi_compact,onednn)
      "${cmd[@]}" --build "$build" --weights "$weights" >"$tmp/compact.md"
      report compact README.md markdown "${cmd[*]}" "$tmp/compact.md" ;;
    cold_start)
      sample_bundle "$tmp/cs"
      int8_weights
      bf16_weights
      sample_bundle "$tmp/cs8" "$tmp/int8.aoiw"
      image=$(find "$deeppcb/PCBData" -name '*_test.jpg' | sort | sed -n 1p)
      cmd=(python3 bench/cold_start.py --runs 9 --threads 2)
      AOI_WEIGHTS=$weights "${cmd[@]}" --build "$build" --image "$image" --model "$tmp/cs/model.json" \
        --int8-weights "$tmp/int8.aoiw" --int8-model "$tmp/cs8/model.json" --bf16-weights "$tmp/bf16.aoiw" >"$tmp/cold.md"
      report cold_start README.md markdown \
        "${cmd[*]} --image <a DeepPCB *_test.jpg> --model <bundle> --int8-weights <aoi quantize> --int8-model <bundle> --bf16-weights <aoi quantize --precision bf16>" \
        "$tmp/cold.md" ;;
    lean)
      need "$build/tests/make_capi_fixture" "$weights"
      AOI_BUILD_DIR=$build scripts/build-lean.sh >"$tmp/lean.md"
      report lean README.md markdown "scripts/build-lean.sh" "$tmp/lean.md" ;;
    fuzz)
      scripts/fuzz.sh 600 >"$tmp/fuzz.md"
      report fuzz docs/fuzzing.md markdown "scripts/fuzz.sh 600" "$tmp/fuzz.md" ;;
    neon_loops)
      python3 bench/neon_loop_counts.py --build "${AOI_AARCH64_BUILD_DIR:-build-aarch64}" >"$tmp/neon.md"
      # A count of the cross build's code, not a run on this CPU.
      AOI_REPORT_CPU="none: aarch64 objects from GCC $(aarch64-linux-gnu-gcc -dumpversion) (scripts/cross-aarch64.sh)" \
        report neon_loops docs/kernels.md markdown "bench/neon_loop_counts.py" "$tmp/neon.md" ;;
    accuracy)
      need "$deeppcb" "$build/src/cli/aoi" "$build/tools/aoi-make-textured-defects" "$build/tools/aoi-make-el-cells" \
        "$weights"
      cmd=(python3 bench/compare_accuracy.py --count 600 --threads 2)
      "${cmd[@]}" --build "$build" --weights "$weights" --deeppcb "$deeppcb" \
        --recipes-md "$tmp/recipes.md" >"$tmp/accuracy.md"
      report accuracy docs/accuracy.md markdown "${cmd[*]}" "$tmp/accuracy.md"
      report recipes README.md markdown "${cmd[*]}" "$tmp/recipes.md" ;;
    serve)
      sample_bundle "$tmp/sv"
      images=$(find "$deeppcb/PCBData" -name '*_test.jpg' | sort | sed -n 1,64p)
      cmd=(python3 bench/serve_load.py --seconds 120 --concurrency 8 --threads 2)
      # shellcheck disable=SC2086
      "${cmd[@]}" --aoi "$build/src/cli/aoi" --model "$tmp/sv/model.json" --weights "$weights" --images $images \
        --json "$tmp/serve.json" >"$tmp/serve.md"
      report serve README.md markdown "${cmd[*]} --images <64 DeepPCB *_test.jpg>" "$tmp/serve.md" \
        "$tmp/serve.json" ;;
  esac
done
