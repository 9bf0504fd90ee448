#!/usr/bin/env python3
"""Cold start and peak memory of one-image commands, whole process.

For each command (`aoi featurize` of one image; `aoi score` of one image with
a bundle, when given), runs it --runs times with pack files off
(AOI_PACK_DIR=off: every start packs the trunk in memory) and on (a pack file
made by a first, untimed run, then mapped), alternating, and prints a
markdown table of the median wall time and peak RSS (ru_maxrss) of each.
The page cache is warm in both: this is a process start, not a boot.
--int8-weights (a file from `aoi quantize`) adds the same commands on it
(--int8-model: a bundle trained with it), which packs at start in any case.
Each command also runs with --compact-weights (res5's 3x3 layers as direct
GEMMs: a smaller pack file), mapped.
--bf16-weights (`aoi quantize --precision bf16`) adds featurize on it: on a
CPU with bf16 arithmetic, the bf16 trunk packed at start from the file's
values; elsewhere, the file widened to float32.

  bench/cold_start.py --image IMG [--model BUNDLE] [--int8-weights W --int8-model BUNDLE] [--bf16-weights W]
                      [--runs 7] [--threads 2]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, env):
    """Wall seconds and peak RSS in MB of one child process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: " + " ".join(cmd))
    return wall, usage.ru_maxrss / 1024.0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", required=True)
    p.add_argument("--model")
    p.add_argument("--build", default="build")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--int8-weights")
    p.add_argument("--int8-model")
    p.add_argument("--bf16-weights")
    a = p.parse_args()
    aoi = os.path.join(a.build, "src", "cli", "aoi")
    work = tempfile.mkdtemp(prefix="aoi_cold_")
    try:
        measure(a, aoi, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # holds a pack file of the whole trunk


def measure(a, aoi, work):
    commands = [("featurize, 1 image", [aoi, "featurize", "--no-cache", "--threads", str(a.threads), a.image,
                                        "-o", os.path.join(work, "f.npy")])]
    if a.model:
        commands.append(("score, 1 image", [aoi, "score", "--no-cache", "--threads", str(a.threads), "--model", a.model,
                                            a.image, "-o", os.path.join(work, "s.csv")]))
    packs = os.path.join(work, "packs")
    base = dict(os.environ, AOI_COMPACT_WEIGHTS="0")  # compact only where asked for
    modes = {"packed at start": dict(base, AOI_PACK_DIR="off"),
             "pack file mapped": dict(base, AOI_PACK_DIR=packs)}
    int8 = "int8 file (aoi quantize)"
    rows = []
    for name, cmd in commands:
        subprocess.run(cmd, env=modes["pack file mapped"], check=True, capture_output=True)  # writes the pack
        variants = {m: (cmd, env) for m, env in modes.items()}
        compact = cmd + ["--compact-weights"]
        subprocess.run(compact, env=modes["pack file mapped"], check=True, capture_output=True)  # its own pack
        variants["compact (--compact-weights), pack file mapped"] = (compact, modes["pack file mapped"])
        if a.int8_weights and (name.startswith("featurize") or a.int8_model):
            int8_cmd = [c if c != a.model else a.int8_model for c in cmd] + ["--weights", a.int8_weights]
            variants[int8] = (int8_cmd, dict(os.environ, AOI_PACK_DIR="off"))
        if a.bf16_weights and name.startswith("featurize"):
            variants["bf16 file (aoi quantize)"] = (cmd + ["--weights", a.bf16_weights], dict(os.environ, AOI_PACK_DIR="off"))
        samples = {m: [] for m in variants}
        for _ in range(a.runs):
            for m, (c, env) in variants.items():
                samples[m].append(run(c, env))
        for m in variants:
            rows.append((name, m, statistics.median(s[0] for s in samples[m]) * 1000,
                         statistics.median(s[1] for s in samples[m])))
    print(f"{a.runs} runs each, alternating, {a.threads} threads; image {os.path.basename(a.image)}")
    print("| command | trunk weights | wall ms (median) | peak RSS MB |")
    print("| --- | --- | --- | --- |")
    for name, m, wall, rss in rows:
        print(f"| {name} | {m} | {wall:.0f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
