#!/usr/bin/env python3
"""aoi's GBDT against XGBoost (Debian python3-xgboost) and LightGBM (built from
../shared/peers by bench/peers/build_lightgbm.sh, driven through its C API),
side by side in one run.

Same data, same settings (histograms of 255 bins, loss-guided growth,
31 leaves, eta 0.1, 200 rounds, L2 1, min hessian 1, min 1 row per leaf, same
class weighting), at 1 and 2 threads. Prints a markdown table: held-out AUC,
training wall time (binning included for all three; aoi's also as the whole
process, start and .npy load included), single-row latency and batch
throughput of prediction.

  bench/compare_xgboost.py [--data PREFIX] [--build build] [--rounds 200] [--scale-pos-weight 1]
                           [--lightgbm lib_lightgbm.so | --no-lightgbm] [--aoi-param NAME=VALUE ...]
                           [--repeats N]

PREFIX names {PREFIX}_train_x.npy, _train_y.npy, _test_x.npy, _test_y.npy; by
default the synthetic set from bench/make_synthetic.py is made in a temp dir.
"""
import argparse
import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import xgboost as xgb


def auc(scores, labels):
    """Mann-Whitney AUC, ties counting one half."""
    order = np.argsort(scores, kind="mergesort")
    s, y = scores[order], labels[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ranks[i:j] = (i + j + 1) / 2.0
        i = j
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


class LightGBM:
    """The few calls of LightGBM's C API a train-and-predict needs."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.LGBM_GetLastError.restype = ctypes.c_char_p

    def _call(self, name, *args):
        if getattr(self.lib, name)(*args) != 0:
            raise RuntimeError("LightGBM %s: %s" % (name, self.lib.LGBM_GetLastError().decode()))

    def train(self, x, y, params, rounds):
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.ascontiguousarray(y, dtype=np.float32)
        data, booster = ctypes.c_void_p(), ctypes.c_void_p()
        self._call("LGBM_DatasetCreateFromMat", x.ctypes.data_as(ctypes.c_void_p), 0, ctypes.c_int32(x.shape[0]),
                   ctypes.c_int32(x.shape[1]), 1, params.encode(), None, ctypes.byref(data))
        self._call("LGBM_DatasetSetField", data, b"label", y.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(len(y)), 0)
        self._call("LGBM_BoosterCreate", data, params.encode(), ctypes.byref(booster))
        finished = ctypes.c_int(0)
        for _ in range(rounds):
            self._call("LGBM_BoosterUpdateOneIter", booster, ctypes.byref(finished))
        return data, booster

    def predict(self, booster, x, params):
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.zeros(x.shape[0], dtype=np.float64)
        n = ctypes.c_int64(0)
        self._call("LGBM_BoosterPredictForMat", booster, x.ctypes.data_as(ctypes.c_void_p), 0,
                   ctypes.c_int32(x.shape[0]), ctypes.c_int32(x.shape[1]), 1, 0, 0, -1, params.encode(),
                   ctypes.byref(n), out.ctypes.data_as(ctypes.c_void_p))
        return out

    def free(self, data, booster):
        self._call("LGBM_BoosterFree", booster)
        self._call("LGBM_DatasetFree", data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data")
    p.add_argument("--build", default="build")
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--scale-pos-weight", type=float, default=1.0)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--lightgbm", help="lib_lightgbm.so (default: bench/peers/build_lightgbm.sh builds it)")
    p.add_argument("--no-lightgbm", action="store_true")
    p.add_argument("--repeats", type=int, default=1, help="trainings of each, in turn; medians are reported")
    p.add_argument("--aoi-param", action="append", default=[], metavar="NAME=VALUE",
                   help="one more aoi training parameter (e.g. grad_quant_bins=64); repeatable")
    a = p.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    lgbm = None
    if not a.no_lightgbm:
        path = a.lightgbm or subprocess.run([os.path.join(here, "peers", "build_lightgbm.sh")], check=True,
                                            capture_output=True, text=True).stdout.strip()
        lgbm = LightGBM(path)
    work = tempfile.mkdtemp(prefix="aoi_xgb_")
    prefix = a.data
    if not prefix:
        prefix = os.path.join(work, "syn")
        subprocess.run([sys.executable, os.path.join(here, "make_synthetic.py"), prefix], check=True)
    xtr, ytr = np.load(prefix + "_train_x.npy"), np.load(prefix + "_train_y.npy")
    xte, yte = np.load(prefix + "_test_x.npy"), np.load(prefix + "_test_y.npy")
    aoi = os.path.join(a.build, "src", "cli", "aoi")
    rows = []
    for threads in [int(t) for t in a.threads.split(",")]:
        model = os.path.join(work, f"aoi_{threads}.aoig")
        params = [f"num_rounds={a.rounds}", "num_leaves=31", "learning_rate=0.1", "max_bin=255", "lambda_l2=1",
                  "min_sum_hessian_in_leaf=1", "min_data_in_leaf=1", f"scale_pos_weight={a.scale_pos_weight}"] + a.aoi_param
        cmd = [aoi, "gbdt", "train", "--features", prefix + "_train_x.npy", "--labels", prefix + "_train_y.npy",
               "--threads", str(threads), "-o", model] + sum((["-p", x] for x in params), [])
        lgbm_params = (f"objective=binary num_leaves=31 learning_rate=0.1 max_bin=255 lambda_l2=1 "
                       f"min_sum_hessian_in_leaf=1 min_data_in_leaf=1 scale_pos_weight={a.scale_pos_weight} "
                       f"num_threads={threads} verbose=-1")
        # The three trainings in turn, --repeats times, so that a shared
        # machine's drift falls on all of them alike; medians are reported.
        times = {"aoi": [], "aoi_process": [], "xgb": [], "lgbm": []}
        booster = handles = None
        for _ in range(a.repeats):
            # aoi: its own training time (binning included) and the whole process.
            t0 = time.perf_counter()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stderr
            times["aoi_process"].append(time.perf_counter() - t0)
            times["aoi"].append(float(re.search(r"in ([0-9.]+) s", out).group(1)))
            # XGBoost, timed the same way: quantile sketch (DMatrix) plus boosting.
            t0 = time.perf_counter()
            dtrain = xgb.DMatrix(xtr, label=ytr, nthread=threads)
            booster = xgb.train({"tree_method": "hist", "max_bin": 255, "grow_policy": "lossguide", "max_leaves": 31,
                                 "max_depth": 0, "eta": 0.1, "lambda": 1.0, "min_child_weight": 1.0,
                                 "objective": "binary:logistic", "scale_pos_weight": a.scale_pos_weight,
                                 "nthread": threads}, dtrain, num_boost_round=a.rounds)
            times["xgb"].append(time.perf_counter() - t0)
            # LightGBM, timed the same way: Dataset (binning) plus boosting.
            if lgbm:
                if handles:
                    lgbm.free(*handles)
                t0 = time.perf_counter()
                handles = lgbm.train(xtr, ytr, lgbm_params, a.rounds)
                times["lgbm"].append(time.perf_counter() - t0)
        median = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
        aoi_train, aoi_process, xgb_train, lgbm_train = median["aoi"], median["aoi_process"], median["xgb"], median["lgbm"]
        pred = os.path.join(work, f"aoi_{threads}.npy")
        subprocess.run([aoi, "gbdt", "predict", "--model", model, "--features", prefix + "_test_x.npy", "-o", pred],
                       check=True, capture_output=True)
        aoi_auc = auc(np.load(pred), yte)
        bench = subprocess.run([os.path.join(a.build, "bench", "bench_gbdt_predict"), "--benchmark_format=json"],
                               check=True, capture_output=True, text=True,
                               env=dict(os.environ, AOI_GBDT_MODEL=model, AOI_GBDT_FEATURES=prefix + "_test_x.npy"))
        results = json.loads(bench.stdout)["benchmarks"]
        one_row = next(r for r in results if r["name"].endswith("_median") and "OneRow" in r["name"])
        batch = next(r for r in results if r["name"] == f"BM_PredictBatch/threads:{threads}/real_time")
        booster.set_param({"nthread": threads})
        xgb_auc = auc(booster.inplace_predict(xte), yte)
        big = np.tile(xte, (10, 1))
        t0 = time.perf_counter()
        for _ in range(3):
            booster.inplace_predict(big)
        xgb_rows = 3 * len(big) / (time.perf_counter() - t0)
        lgbm_auc = float("nan")
        if handles:
            lgbm_auc = auc(lgbm.predict(handles[1], xte, f"num_threads={threads}"), yte)
            lgbm.free(*handles)
        rows.append((threads, aoi_auc, xgb_auc, lgbm_auc, aoi_train, aoi_process, xgb_train, lgbm_train,
                     one_row["real_time"], batch["rows_per_s"], xgb_rows))
        print(f"threads {threads}: done", file=sys.stderr)
    print(f"data: {prefix} train {xtr.shape}, test {xte.shape}, positives {ytr.mean():.3f}; {a.rounds} rounds, 31 leaves"
          + (f"; median of {a.repeats} trainings each, in turn" if a.repeats > 1 else "")
          + (f"; aoi with {' '.join(a.aoi_param)}" if a.aoi_param else ""))
    print("| threads | AUC aoi | AUC XGBoost | AUC LightGBM | train s aoi (process) | train s XGBoost | "
          "train s LightGBM | aoi / XGBoost | aoi / LightGBM | 1-row predict us aoi | batch rows/s aoi | "
          "batch rows/s XGBoost |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t, aa, xa, la, at, ap, xt, lt, one, ar, xr in rows:
        print(f"| {t} | {aa:.4f} | {xa:.4f} | {la:.4f} | {at:.2f} ({ap:.2f}) | {xt:.2f} | {lt:.2f} | {at / xt:.2f} | "
              f"{at / lt:.2f} | {one:.2f} | {ar:,.0f} | {xr:,.0f} |")


if __name__ == "__main__":
    main()
