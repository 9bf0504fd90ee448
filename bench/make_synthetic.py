#!/usr/bin/env python3
"""Synthetic dense binary-classification data for the GBDT benchmark.

20,000 x 2048 float32 rows by default, about 10% positives. The signal sits in
40 features (linear terms, pairwise products and thresholds, so that trees have
to work for it); the remaining features are noise, as in trunk features where a
few dozen channels respond to a defect. A fixed seed makes it reproducible.
Writes {prefix}_train_x.npy/_train_y.npy (first 80% of rows) and _test_*.npy.

  bench/make_synthetic.py OUT_PREFIX [--rows 20000] [--cols 2048] [--seed 7]
"""
import argparse

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("prefix")
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--cols", type=int, default=2048)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    x = rng.standard_normal((a.rows, a.cols), dtype=np.float32)
    # Trunk features are post-ReLU averages: non-negative and skewed.
    x = np.maximum(x, 0) + 0.1 * rng.random((a.rows, a.cols), dtype=np.float32)
    informative = rng.choice(a.cols, 40, replace=False)
    s = x[:, informative].astype(np.float64)
    logit = (s[:, :20] @ rng.normal(0, 0.8, 20)
             + 0.9 * (s[:, 20] * s[:, 21]) - 0.7 * (s[:, 22] * s[:, 23])
             + 1.2 * (s[:, 24:32] > 0.8).sum(axis=1) - 0.8 * (s[:, 32:40] > 1.0).sum(axis=1))
    logit += rng.normal(0, 1.0, a.rows)
    threshold = np.quantile(logit, 0.9)
    y = (logit > threshold).astype(np.float32)
    # A few missing values, as a camera dropout would leave.
    x[rng.random(x.shape) < 0.001] = np.nan
    split = int(0.8 * a.rows)
    np.save(f"{a.prefix}_train_x.npy", x[:split])
    np.save(f"{a.prefix}_train_y.npy", y[:split])
    np.save(f"{a.prefix}_test_x.npy", x[split:])
    np.save(f"{a.prefix}_test_y.npy", y[split:])
    print(f"{a.prefix}: {split} train / {a.rows - split} test rows x {a.cols}, positives {y.mean():.3f}")


if __name__ == "__main__":
    main()
