#!/usr/bin/env bash
# Cross-checks the safetensors (torchvision, ResNet v1.5) path against torch
# itself: exports a randomly initialised torchvision ResNet-50 (no download),
# converts it, featurizes one random input with aoi and with torch (float64),
# and prints the relative L2 error. Needs python3-torch and python3-torchvision.
#
#   tools/check_torchvision.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
build=$root/${AOI_BUILD_DIR:-build}
/usr/bin/python3 "$root/tools/export_torchvision.py" "$work/tv.safetensors" --weights random \
  --check-input "$work/input.f32" --check-output "$work/torch_features.f32"
"$build/tools/aoi-convert" safetensors "$work/tv.safetensors" -o "$work/tv.aoiw"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
x = np.fromfile(f"{w}/input.f32", dtype=np.float32).reshape(1, 3, 224, 224)
np.save(f"{w}/input.npy", x)
PY
"$build/src/cli/aoi" featurize --weights "$work/tv.aoiw" --tensors "$work/input.npy" -o "$work/aoi_features.npy"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
ours = np.load(f"{w}/aoi_features.npy").astype(np.float64).ravel()
ref = np.fromfile(f"{w}/torch_features.f32", dtype=np.float32).astype(np.float64)
err = np.linalg.norm(ours - ref) / np.linalg.norm(ref)
print(f"torchvision ResNet-50 (v1.5, random init): aoi vs torch float64 features, relative L2 {err:.2e}")
sys.exit(0 if err <= 1e-5 else 1)
PY
