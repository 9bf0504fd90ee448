#!/usr/bin/env python3
"""The whole per-image cost of `aoi featurize` (decode, resize, trunk, as a
batch job runs it) against the trunk alone, aoi's and oneDNN's, interleaved
in one run on one machine.

Makes 2 x --images JPEGs of --size (DeepPCB test images resized with Pillow,
quality 90, the size of a typical AOI camera crop), then every round runs,
for each thread count:
  - `aoi featurize --no-cache` on N and on 2N of them (default features and
    batch): the cost per extra image is (time(2N) - time(N)) / N, which
    leaves out process start and loading;
  - build/bench/peer_aoi and peer_onednn, the trunk alone on a synthetic
    input, at batch 1 and at featurize's batch (8).
Prints the medians over rounds as a Markdown table.

  bench/featurize_cost.py --deeppcb ../shared/datasets/deeppcb [--images 16] [--rounds 5] [--threads 1,2]
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURIZE_BATCH = 8  # aoi featurize's default --batch


def make_images(deeppcb, count, size, folder):
    from PIL import Image  # python3-pil
    sources = sorted(glob.glob(os.path.join(deeppcb, "PCBData", "**", "*_test.jpg"), recursive=True))
    if len(sources) < count:
        sys.exit(f"featurize_cost: {deeppcb}: {len(sources)} test images, {count} needed")
    paths = []
    for i, src in enumerate(sources[:count]):
        path = os.path.join(folder, f"{i:03d}.jpg")
        Image.open(src).convert("RGB").resize(size, Image.LANCZOS).save(path, quality=90)
        paths.append(path)
    return paths


def wall(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def peer_ms(exe, weights, threads, batch, iterations):
    out = subprocess.run([exe, "--weights", weights, "--threads", str(threads), "--batch", str(batch),
                          "--iterations", str(iterations)], check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--weights", default=os.path.expanduser("~/.local/share/aoi/resnet50-imagenet.aoiw"))
    ap.add_argument("--deeppcb", required=True)
    ap.add_argument("--images", type=int, default=16, help="N: the runs featurize N and 2N images")
    ap.add_argument("--size", default="768x576")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--iterations", type=int, default=20, help="timed passes per peer run")
    a = ap.parse_args()
    aoi = os.path.join(a.build, "src", "cli", "aoi")
    peers = {"aoi": os.path.join(a.build, "bench", "peer_aoi"), "onednn": os.path.join(a.build, "bench", "peer_onednn")}
    for exe in [aoi] + list(peers.values()):
        if not os.path.exists(exe):
            sys.exit(f"featurize_cost: {exe} not built")
    size = tuple(int(v) for v in a.size.split("x"))
    threads = [int(t) for t in a.threads.split(",")]
    work = tempfile.mkdtemp(prefix="aoi_featurize_cost_")
    try:
        images = make_images(a.deeppcb, 2 * a.images, size, work)
        env = dict(os.environ, AOI_WEIGHTS=a.weights, AOI_COMPACT_WEIGHTS="0")
        out = os.path.join(work, "f.npy")

        def featurize(t, paths):
            return [aoi, "--quiet", "featurize", "--no-cache", "--threads", str(t), "-o", out] + paths

        subprocess.run(featurize(threads[0], images[:2]), check=True, capture_output=True, env=env)  # packs the trunk
        samples = {}
        for r in range(a.rounds):
            for t in threads:
                n = wall(featurize(t, images[:a.images]), env)
                n2 = wall(featurize(t, images), env)
                samples.setdefault(("featurize", t), []).append((n2 - n) / a.images * 1000)
                for name, exe in peers.items():
                    for batch in (1, FEATURIZE_BATCH):
                        samples.setdefault((name, t, batch), []).append(peer_ms(exe, a.weights, t, batch, a.iterations))
            print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"{a.images} and {2 * a.images} JPEGs of {a.size}; medians of {a.rounds} interleaved rounds")
    print("| threads | aoi featurize, ms per extra image | aoi trunk alone, batch 1 / 8 | "
          "oneDNN trunk alone, batch 1 / 8 | featurize / oneDNN trunk, batch 1 / 8 |")
    print("| --- | --- | --- | --- | --- |")
    for t in threads:
        f = med[("featurize", t)]
        a1, a8 = med[("aoi", t, 1)], med[("aoi", t, FEATURIZE_BATCH)]
        o1, o8 = med[("onednn", t, 1)], med[("onednn", t, FEATURIZE_BATCH)]
        print(f"| {t} | {f:.1f} | {a1:.1f} / {a8:.1f} | {o1:.1f} / {o8:.1f} | {f / o1:.2f} / {f / o8:.2f} |")


if __name__ == "__main__":
    main()
