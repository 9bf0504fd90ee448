#!/usr/bin/env python3
"""Batch featurization throughput on 1 and 2 threads (build/bench/bench_trunk,
aoi's kernels, batch 8), for the float32 weights and, with --int8-weights, an
int8 file: ms per image and the 2-thread speed-up, as a Markdown table.

  python3 bench/batch_scaling.py --weights W.aoiw [--int8-weights W8.aoiw] [--repetitions 5]
"""
import argparse
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ms_per_image(build, weights, batch, threads, repetitions):
    out = subprocess.run([os.path.join(build, "bench", "bench_trunk"),
                          f"--benchmark_filter=BM_Trunk/batch:{batch}/threads:{threads}/backend:0/",
                          f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True,
                         env=dict(os.environ, AOI_WEIGHTS=weights))
    rows = [b for b in json.loads(out.stdout)["benchmarks"] if b.get("aggregate_name", "median") == "median"]
    return rows[0]["ms_per_image"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--weights", required=True)
    ap.add_argument("--int8-weights")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repetitions", type=int, default=5)
    a = ap.parse_args()
    files = [("fp32", a.weights)] + ([("int8", a.int8_weights)] if a.int8_weights else [])
    print("| weights | batch | 1 thread, ms per image | 2 threads, ms per image | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    for name, weights in files:
        one = ms_per_image(a.build, weights, a.batch, 1, a.repetitions)
        two = ms_per_image(a.build, weights, a.batch, 2, a.repetitions)
        print(f"| {name} | {a.batch} | {one:.1f} | {two:.1f} | {one / two:.2f}x |")


if __name__ == "__main__":
    main()
