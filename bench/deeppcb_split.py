#!/usr/bin/env python3
"""DeepPCB trunk features to the train/test .npy files compare_xgboost.py reads.

  aoi featurize --manifest M.csv -o F.npy          # rows in manifest order
  bench/deeppcb_split.py M.csv F.npy PREFIX [--test-share 0.2] [--first N] [--columns D]
  bench/compare_xgboost.py --data PREFIX

The split is by time, like the pipeline's: the latest --test-share of the
pairs (by the manifest's time column) are held out, so no pair (a defect crop
and its template twin share a time) straddles the split. --first N keeps only
the N earliest rows (whole times): a new line's first labelled set;
--columns D the first D features (2048: res5's mean, the global recipe, of
the stages recipe's rows).
"""
import argparse
import csv

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("manifest")
    p.add_argument("features")
    p.add_argument("prefix")
    p.add_argument("--test-share", type=float, default=0.2)
    p.add_argument("--first", type=int, help="keep the N earliest rows, by time")
    p.add_argument("--columns", type=int, help="keep the first D features")
    a = p.parse_args()
    with open(a.manifest, newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.load(a.features)
    if len(rows) != x.shape[0]:
        raise SystemExit(f"{a.features}: {x.shape[0]} rows but {a.manifest} lists {len(rows)} (were items skipped?)")
    y = np.array([0.0 if r["label"] in ("pass", "0") else 1.0 for r in rows], dtype=np.float32)
    t = np.array([int(r["time"]) for r in rows])
    if a.columns:
        x = x[:, :a.columns]
    if a.first:
        order = np.argsort(t, kind="stable")
        keep = np.zeros(len(t), dtype=bool)
        keep[t <= t[order[min(a.first, len(t)) - 1]]] = True  # whole times, so pairs stay together
        x, y, t = x[keep], y[keep], t[keep]
    cut = np.quantile(np.unique(t), 1 - a.test_share)
    test = t > cut
    for name, mask in (("train", ~test), ("test", test)):
        np.save(f"{a.prefix}_{name}_x.npy", np.ascontiguousarray(x[mask], dtype=np.float32))
        np.save(f"{a.prefix}_{name}_y.npy", y[mask])
        print(f"{name}: {mask.sum()} rows, {int(y[mask].sum())} fails")


if __name__ == "__main__":
    main()
