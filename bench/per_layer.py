#!/usr/bin/env python3
"""aoi's trunk against oneDNN layer by layer, inside whole passes.

Runs build/bench/trunk_steps (aoi's per-step times) and build/bench/peer_onednn
under ONEDNN_VERBOSE=1 (whose `exec` lines give each primitive's time)
alternately, --runs times per thread count, takes each layer's fastest time
over all passes and runs, and prints the sums by kind of layer as a Markdown
table (docs/kernels.md, table per_layer). aoi's "stem" row holds its padded
NHWC conversion, the stem and the max pool; oneDNN's its stem and max pool.
Each row also says what share of this machine's measured peak aoi's and
oneDNN's convolutions reach (the row's multiply-adds over its time, against
trunk_steps' peak line times the thread count). Needs libdnnl-dev (peer_onednn).

--precision int8 with --weights an int8 file (aoi quantize) compares aoi's
int8 trunk with peer_onednn --precision int8 on --fp32-weights instead; the
share is then of the int8 peak (of the int8 kernel that runs: VNNI or the
AVX2 sequence). --precision bf16 does the same with a bf16 file, against
the vdpbf16ps peak.

  python3 bench/per_layer.py --threads 1,2 --runs 2 --iterations 20
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS = ["stem"] + [f"res{s} {k}" for s in range(2, 6) for k in ("3x3", "1x1")]
STAGE_OF_SIZE = {56: 2, 28: 3, 14: 4, 7: 5}


def aoi_steps(build, weights, threads, iterations, peaks=None, macs=None):
    """{step index: (row, ms)} of the fastest pass of each step; fills peaks
    (GMAC/s by precision) and macs (multiply-adds by row) when given."""
    out = subprocess.run([os.path.join(build, "bench", "trunk_steps"), "--weights", weights, "--threads",
                          str(threads), "--iterations", str(iterations)], check=True, capture_output=True, text=True)
    steps = {}
    for i, line in enumerate(out.stdout.splitlines()):
        s = json.loads(line)
        if "step" not in s:
            if peaks is not None:
                peaks["fp32"] = max(peaks.get("fp32", 0), s["peak_fp32_gmacs"])
                peaks["int8"] = max(peaks.get("int8", 0), s["peak_int8_gmacs"])
                peaks["bf16"] = max(peaks.get("bf16", 0), s.get("peak_bf16_gmacs", 0))
            continue
        if s["kind"] in ("input", "stem") or s["step"] == "max_pool":
            row = "stem"
        elif s["kind"] == "pool":
            continue  # global pooling: no oneDNN primitive to set against it
        else:
            row = f"res{s['step'][3]} {'3x3' if s['kind'] == '3x3' else '1x1'}"
        steps[i] = (row, s["min_ms"])
        if macs is not None:
            macs[i] = (row, s.get("macs", 0))
    return steps


def onednn_row(kind, desc):
    if kind.startswith("pooling"):
        return "stem"
    ih, oh, kh = map(int, re.search(r"ih(\d+).*?oh(\d+).*?kh(\d+)", desc).groups())
    if kh == 7:
        return "stem"
    return f"res{STAGE_OF_SIZE[oh]} {'3x3' if kh == 3 else '1x1'}"


def onednn_steps(build, weights, threads, iterations, precision="fp32"):
    env = dict(os.environ, ONEDNN_VERBOSE="1", OMP_NUM_THREADS=str(threads))
    out = subprocess.run([os.path.join(build, "bench", "peer_onednn"), "--weights", weights, "--threads",
                          str(threads), "--iterations", str(iterations), "--precision", precision], check=True,
                         capture_output=True, text=True, env=env)
    prims = [l.strip().split(",") for l in out.stdout.splitlines() if l.startswith("onednn_verbose,exec")]
    prims = [p for p in prims if p[3] == "convolution" or p[3].startswith("pooling")]
    # One pass is the run of primitives up to the first one's second appearance.
    per = next(i for i in range(1, len(prims)) if prims[i][-2] == prims[0][-2] and prims[i][3] == prims[0][3])
    steps = {}
    for n in range(len(prims) // per):
        for i, p in enumerate(prims[n * per:(n + 1) * per]):
            ms = float(p[-1])
            row = onednn_row(p[3], p[-2])
            steps[i] = (row, min(ms, steps[i][1])) if i in steps else (row, ms)
    return steps


def merge(best, steps):
    for i, (row, ms) in steps.items():
        best[i] = (row, min(ms, best[i][1])) if i in best else (row, ms)


def sums(best):
    by = collections.defaultdict(float)
    for row, ms in best.values():
        by[row] += ms
    return by


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=os.path.expanduser("~/.local/share/aoi/resnet50-imagenet.aoiw"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "int8", "bf16"])
    ap.add_argument("--fp32-weights", default=os.path.expanduser("~/.local/share/aoi/resnet50-imagenet.aoiw"),
                    help="int8, bf16: the float32 file oneDNN converts for itself")
    a = ap.parse_args()
    peer_weights = a.weights if a.precision == "fp32" else a.fp32_weights
    if not os.path.exists(os.path.join(a.build, "bench", "peer_onednn")):
        sys.exit("per_layer: build/bench/peer_onednn is missing (install libdnnl-dev and rebuild)")
    threads = [int(t) for t in a.threads.split(",")]
    table = {}
    peaks, macs = {}, {}
    for t in threads:
        aoi, dnnl = {}, {}
        for _ in range(a.runs):  # alternated, so that drifts fall on both
            merge(aoi, aoi_steps(a.build, a.weights, t, a.iterations, peaks, macs))
            merge(dnnl, onednn_steps(a.build, peer_weights, t, a.iterations, a.precision))
        table[t] = (sums(aoi), sums(dnnl))
    row_macs = sums(macs)
    peak = peaks[a.precision]

    def share(t, row, side=0):
        ms = table[t][side][row]
        # aoi's int8 and bf16 trunks keep the stem in float32: its share is of that peak.
        p = peaks["fp32"] if row == "stem" else peak
        return 100.0 * row_macs[row] / (ms * 1e-3) / 1e9 / (p * t) if ms > 0 else 0.0

    head = " | ".join(f"aoi {t} thr | oneDNN {t} thr | % of peak, aoi / oneDNN" for t in threads)
    print(f"| layers, {a.precision} (fastest pass of each, ms) | {head} |")
    print("| --- |" + " --- | --- | --- |" * len(threads))
    for row in ROWS:
        cells = " | ".join(f"{table[t][0][row]:.2f} | {table[t][1][row]:.2f} | "
                           f"{share(t, row):.0f} / {share(t, row, 1):.0f}" for t in threads)
        print(f"| {row} | {cells} |")
    cells = " | ".join(f"{sum(table[t][0].values()):.1f} | {sum(table[t][1].values()):.1f} | " for t in threads)
    print(f"| all | {cells} |")
    print(f"measured peak of one thread: {peak:.1f} GMAC/s ({a.precision}); Winograd layers count their direct "
          "multiply-adds, so they can exceed 100")
    for t in threads:
        print(f"aoi / oneDNN at {t} thread(s): {sum(table[t][0].values()) / sum(table[t][1].values()):.2f}")


if __name__ == "__main__":
    main()
