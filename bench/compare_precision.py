#!/usr/bin/env python3
"""Accuracy of aoi's reduced-precision weight files against float32, per dataset.

For each dataset, `aoi quantize` writes an int8 file calibrated on 64 of the
dataset's own images (spread over its time order, as a line would calibrate on
its own production) and a bf16 file; then `aoi evaluate` runs the same
time-based cross-validation with each of the three files. Prints a Markdown
table: precision, CV ROC AUC +- sd, its difference to float32, auto-pass share
at 99 % recall and ms per image (featurize + decide, 2 threads).

  python3 bench/compare_precision.py --weights W.aoiw --deeppcb ../shared/datasets/deeppcb [--count 600]
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from compare_accuracy import evaluate, make_datasets, ms_per_image  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--deeppcb", required=True)
    ap.add_argument("--count", type=int, default=600, help="images of the synthetic textured set")
    ap.add_argument("--recipe", default="stages")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    build = pathlib.Path(a.build)
    aoi = str(build / "src/cli/aoi")
    print("| dataset | precision | CV ROC AUC | AUC − float32 | auto-pass at 99% recall | ms per image |")
    print("| --- | --- | --- | --- | --- | --- |", flush=True)
    with tempfile.TemporaryDirectory(prefix="aoi_precision.") as tmp:
        work = pathlib.Path(tmp)
        for name, manifest in make_datasets(build, a.deeppcb, a.count, work, el=False):
            files = {"fp32": pathlib.Path(a.weights)}
            for precision in ("int8", "bf16"):
                out = work / ("%s-%s.aoiw" % (manifest.parent.name, precision))
                cmd = [aoi, "--quiet", "quantize", "--weights", a.weights, "--precision", precision, "-o", str(out)]
                if precision == "int8":
                    cmd += ["--manifest", str(manifest), "--images", "64", "--threads", str(a.threads)]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                files[precision] = out
            base = None
            for precision, weights in files.items():
                e = evaluate(aoi, weights, manifest, a.recipe, "supervised", a.threads, work)
                base = e["auc_mean"] if base is None else base
                print("| %s | %s | %.4f ± %.4f | %+.4f | %.1f%% | %.1f |" % (
                    name, precision, e["auc_mean"], e["auc_sd"], e["auc_mean"] - base,
                    100 * e["operating_point"]["auto_pass"], ms_per_image(e)), flush=True)


if __name__ == "__main__":
    main()
