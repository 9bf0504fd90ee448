#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install packages,
# build, fetch and convert the weights, then featurize and classify images
# (../shared/reference/images by default, or the folder given).
#
#   scripts/main.sh [IMAGE_FOLDER]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
aoi=${AOI_BUILD_DIR:-build}/src/cli/aoi
"$aoi" info

images_dir=${1:-$root/../shared/reference/images}
mapfile -t images < <(find "$images_dir" -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \
  -o -iname '*.tif' -o -iname '*.tiff' -o -iname '*.bmp' \) | sort)
[ ${#images[@]} -gt 0 ] || { echo "main: no images in $images_dir" >&2; exit 1; }
mkdir -p out
echo
echo "== top-5 ImageNet labels (imagenet policy) =="
"$aoi" classify --policy imagenet "${images[@]}"
echo
echo "== trunk features (stretch policy, the AOI default) =="
"$aoi" featurize -o out/features.npy --rows out/features.rows.txt "${images[@]}"
echo "features: out/features.npy, row paths: out/features.rows.txt"
