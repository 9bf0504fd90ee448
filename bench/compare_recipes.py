#!/usr/bin/env python3
"""Feature recipes side by side: time-based CV AUC, auto-pass share at the
target recall, and featurize cost, per dataset, in one run.

Datasets: DeepPCB region crops (tools/deeppcb/build_manifest.py) and a
synthetic textured set with small defects of known size, scored as whole
images (aoi-make-textured-defects). Every run uses an empty feature cache,
so featurize time is the trunk's. Prints a Markdown table; --json writes
the evaluations.

  bench/compare_recipes.py --build build --weights W.aoiw --deeppcb DIR \\
      [--recipes global,stages] [--textured-count 600] [--threads 2] [--json out.json]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def evaluate(aoi, weights, manifest, recipe, threads, work):
    out = work / ("%s-%s.json" % (manifest.parent.name, recipe))
    subprocess.run([aoi, "--quiet", "evaluate", "--manifest", str(manifest), "--features", recipe, "--no-cache",
                    "--weights", str(weights), "--threads", str(threads), "--json", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--deeppcb", required=True)
    ap.add_argument("--recipes", default="global,stages")
    ap.add_argument("--textured-count", type=int, default=600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    build = pathlib.Path(a.build)
    aoi = str(build / "src/cli/aoi")
    results = {}
    with tempfile.TemporaryDirectory(prefix="aoi_recipes.") as tmp:
        work = pathlib.Path(tmp)
        (work / "deeppcb").mkdir()
        subprocess.run([sys.executable, str(ROOT / "tools/deeppcb/build_manifest.py"), a.deeppcb, "-o",
                        str(work / "deeppcb/manifest.csv")], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(build / "tools/aoi-make-textured-defects"), str(work / "textured"), "--count",
                        str(a.textured_count)], check=True, stderr=subprocess.DEVNULL)
        datasets = [("DeepPCB crops", work / "deeppcb/manifest.csv"),
                    ("textured, %d whole 512px images" % a.textured_count, work / "textured/manifest.csv")]
        print("| dataset | recipe | CV ROC AUC | auto-pass at 99% recall | featurize ms per image |")
        print("| --- | --- | --- | --- | --- |")
        for name, manifest in datasets:
            for recipe in a.recipes.split(","):
                e = evaluate(aoi, a.weights, manifest, recipe, a.threads, work)
                ms = 1000 * e["timings"]["featurize_seconds"] / max(1, e["items"])
                auto_pass = e["operating_point"]["auto_pass"]
                results.setdefault(name, {})[recipe] = e
                print("| %s | %s | %.4f ± %.4f | %.1f%% | %.1f |" % (name, recipe, e["auc_mean"], e["auc_sd"],
                                                                   100 * auto_pass, ms), flush=True)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
