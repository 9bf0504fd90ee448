#!/usr/bin/env python3
"""Feature recipes and modes side by side: time-based CV ROC AUC, auto-pass
share at 99% recall, and the cost per image, per dataset, in one run.

Datasets: DeepPCB region crops (tools/deeppcb/build_manifest.py), a
synthetic textured set with small defects of known size
(aoi-make-textured-defects) and a synthetic electroluminescence-like set of
solar cells (aoi-make-el-cells), the last two scored as whole images.
Configurations are recipe/mode pairs (docs/accuracy.md). Every run uses an
empty feature cache. Cost per image: featurize (decode, resize, trunk, and
the patch grid for modes with a memory bank) over all items plus deciding
(GBDT, or the nearest-neighbour search) over the out-of-fold items, both at
--threads. Prints the full Markdown table; --recipes-md writes the
supervised rows alone (the README's table); --json the evaluations.

  bench/compare_accuracy.py --build build --weights W.aoiw --deeppcb DIR \\
      [--configs global/supervised,stages/supervised,multiscale/supervised,stages/anomaly,stages/combined] \\
      [--deeppcb-configs ...] [--count 600] [--threads 2] [--json out.json] [--recipes-md out.md]

DeepPCB's crops are 96 px: the multiscale recipe's 448 px view of them holds
nothing the 224 px one lacks, so --deeppcb-configs leaves it out by default.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def evaluate(aoi, weights, manifest, recipe, mode, threads, work):
    out = work / ("%s-%s-%s.json" % (manifest.parent.name, recipe, mode))
    subprocess.run([aoi, "--quiet", "evaluate", "--manifest", str(manifest), "--features", recipe, "--mode", mode,
                    "--no-cache", "--weights", str(weights), "--threads", str(threads), "--json", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def make_datasets(build, deeppcb, count, work, el=True):
    """[(name, manifest)] of DeepPCB's crops and the synthetic sets, made in work."""
    (work / "deeppcb").mkdir()
    subprocess.run([sys.executable, str(ROOT / "tools/deeppcb/build_manifest.py"), deeppcb, "-o",
                    str(work / "deeppcb/manifest.csv")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(build / "tools/aoi-make-textured-defects"), str(work / "textured"), "--count", str(count)],
                   check=True, stderr=subprocess.DEVNULL)
    sets = [("DeepPCB crops", work / "deeppcb/manifest.csv"),
            ("textured, %d x 512px" % count, work / "textured/manifest.csv")]
    if el:
        subprocess.run([str(build / "tools/aoi-make-el-cells"), str(work / "el"), "--count", str(count)],
                       check=True, stderr=subprocess.DEVNULL)
        sets.append(("EL-like, %d x 300px" % count, work / "el/manifest.csv"))
    return sets


def ms_per_image(e):
    scored = sum(f["test_items"] for f in e["folds"])
    decide = sum(f["score_seconds"] for f in e["folds"])
    return 1000 * e["timings"]["featurize_seconds"] / max(1, e["items"]) + 1000 * decide / max(1, scored)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--deeppcb", required=True)
    ap.add_argument("--configs",
                    default="global/supervised,stages/supervised,multiscale/supervised,stages/anomaly,stages/combined")
    ap.add_argument("--deeppcb-configs", default="global/supervised,stages/supervised,stages/anomaly,stages/combined")
    ap.add_argument("--count", type=int, default=600, help="images of each synthetic set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--recipes-md")
    a = ap.parse_args()
    build = pathlib.Path(a.build)
    aoi = str(build / "src/cli/aoi")
    configs = [c.split("/") for c in a.configs.split(",")]
    deeppcb_configs = [c.split("/") for c in a.deeppcb_configs.split(",")]
    results = {}
    head = ["| dataset | recipe | mode | CV ROC AUC | auto-pass at 99% recall | ms per image |",
            "| --- | --- | --- | --- | --- | --- |"]
    recipe_rows = ["| dataset | recipe | CV ROC AUC | auto-pass at 99% recall | ms per image |",
                   "| --- | --- | --- | --- | --- |"]
    print("\n".join(head), flush=True)
    with tempfile.TemporaryDirectory(prefix="aoi_accuracy.") as tmp:
        work = pathlib.Path(tmp)
        datasets = [(name, manifest, deeppcb_configs if name.startswith("DeepPCB") else configs)
                    for name, manifest in make_datasets(build, a.deeppcb, a.count, work)]
        for name, manifest, dataset_configs in datasets:
            for recipe, mode in dataset_configs:
                e = evaluate(aoi, a.weights, manifest, recipe, mode, a.threads, work)
                results.setdefault(name, {})["%s/%s" % (recipe, mode)] = e
                auc = "%.4f ± %.4f" % (e["auc_mean"], e["auc_sd"])
                auto_pass = "%.1f%%" % (100 * e["operating_point"]["auto_pass"])
                ms = "%.1f" % ms_per_image(e)
                shown_recipe = recipe if mode != "anomaly" else "(patches)"
                print("| %s | %s | %s | %s | %s | %s |" % (name, shown_recipe, mode, auc, auto_pass, ms), flush=True)
                if mode == "supervised":
                    recipe_rows.append("| %s | %s | %s | %s | %s |" % (name, recipe, auc, auto_pass, ms))
    if a.recipes_md:
        pathlib.Path(a.recipes_md).write_text("\n".join(recipe_rows) + "\n")
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
