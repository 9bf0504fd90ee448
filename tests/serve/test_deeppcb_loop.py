"""The whole loop on DeepPCB with the real ResNet-50: serve a model trained
on the older half (with a loose recall target), post the newer half, label
it from the manifest's truth through the API, retrain, gate, promote, and
see the served version change; a model trained on inverted labels is
refused by the gate. Every 5th board keeps it to a few minutes on 2 cores.
The served model uses the default mode (combined: trunk features plus the
memory bank); the retrained ones are supervised, whose features the cache
holds, so the gate also compares models of different modes.

Needs ../shared/datasets/deeppcb and the converted weights; skipped without
them unless AOI_REQUIRE_WEIGHTS is set (scripts/test.sh sets it when
../shared is there)."""
import csv
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

from conftest import KEY, run_aoi
from serve_harness import Server

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEEPPCB = pathlib.Path(os.environ.get("AOI_DEEPPCB", ROOT.parent / "shared" / "datasets" / "deeppcb"))
WEIGHTS = pathlib.Path(os.environ.get("AOI_WEIGHTS", pathlib.Path.home() / ".local/share/aoi/resnet50-imagenet.aoiw"))


def manifests(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools/deeppcb/build_manifest.py"), str(DEEPPCB), "-o",
                    str(tmp_path / "all.csv")], check=True, capture_output=True)
    with open(tmp_path / "all.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["time"]) % 5 == 0]
    for r in rows:
        r["path"] = str((tmp_path / r["path"]).resolve())
    times = sorted({int(r["time"]) for r in rows})
    cut = times[len(times) // 2]
    older = [r for r in rows if int(r["time"]) < cut]
    newer = [r for r in rows if int(r["time"]) >= cut]

    def write(name, items, invert=False):
        with open(tmp_path / name, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["path", "label", "time", "group", "x", "y", "w", "h"])
            w.writeheader()
            for r in items:
                w.writerow(dict(r, label={"pass": "fail", "fail": "pass"}[r["label"]] if invert else r["label"]))
        return tmp_path / name

    return write("older.csv", older), write("inverted.csv", older, invert=True), newer


def test_label_retrain_gate_promote_on_deeppcb(aoi, fixture, tmp_path):
    if not (DEEPPCB / "PCBData").is_dir() or not WEIGHTS.is_file():
        if os.environ.get("AOI_REQUIRE_WEIGHTS"):
            pytest.fail("needs %s and %s" % (DEEPPCB, WEIGHTS))
        pytest.skip("no DeepPCB or no weights")
    older, inverted, newer = manifests(tmp_path)
    env_cache = ["--cache", tmp_path / "cache"]
    w = ["--weights", WEIGHTS]
    code, _, err = run_aoi(aoi, "train", "--manifest", older, "--target-recall", "0.9", "-o", tmp_path / "first.json",
                           *w, *env_cache)
    assert code == 0, err
    reg, store = tmp_path / "registry", tmp_path / "store"
    first = run_aoi(aoi, "models", "--registry", reg, "add", tmp_path / "first.json")[1].strip()
    assert run_aoi(aoi, "models", "--registry", reg, "promote", first, "--store", store, "--by", "engineer")[0] == 0

    s = Server(aoi, None, store, fixture / "api_keys.txt", WEIGHTS,
               extra=["--registry", reg, "--registry-poll-ms", "200", "--threads", "2"])
    try:
        assert s.json("GET", "/healthz", key=None)[1]["model_version"] == first
        # The newer half, in time order, from 4 clients (micro-batched).
        posted = [None] * len(newer)
        errors = []

        def client(k):
            conn = s.connection(timeout=120)
            for i in range(k, len(newer), 4):
                r = newer[i]
                roi = "%s,%s,%s,%s" % (r["x"], r["y"], r["w"], r["h"])
                status, _, data = s.request("POST", "/v1/inspect?item=t%s-%d&roi=%s" % (r["time"], i, roi),
                                            pathlib.Path(r["path"]).read_bytes(), key=KEY, conn=conn)
                if status != 200:
                    errors.append((status, data))
                else:
                    posted[i] = json.loads(data)
            conn.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(900)
        assert errors == [] and all(posted)
        # The operators' decisions: the manifest's truth, through the API.
        for r, p in zip(newer, posted):
            status, _ = s.json("POST", "/v1/results/%d/label" % p["id"], json.dumps({"label": r["label"], "by": "op"}),
                               key=KEY)
            assert status == 200
        # Retrain on the older half plus the labels, gate against the one in service, promote.
        code, _, err = run_aoi(aoi, "retrain", "--store", store, "--manifest", older, "-o", tmp_path / "second.json",
                               "--mode", "supervised", "--promote", "--registry", reg, "--by", "engineer", *w, *env_cache, timeout=1800)
        second = json.loads((tmp_path / "second.json").read_text())["model_version"]
        gate = json.loads((reg / "versions" / second / "gate.json").read_text())
        assert code == 0 and gate["passed"], err
        deadline = time.monotonic() + 60
        while s.json("GET", "/healthz", key=None)[1]["model_version"] != second and time.monotonic() < deadline:
            time.sleep(0.2)
        assert s.json("GET", "/healthz", key=None)[1]["model_version"] == second
        assert gate["candidate"]["auc"] > 0.9
        # A model trained on inverted labels is refused and changes nothing.
        assert run_aoi(aoi, "train", "--manifest", inverted, "-o", tmp_path / "bad.json", "--mode", "supervised", *w, *env_cache)[0] == 0
        bad = run_aoi(aoi, "models", "--registry", reg, "add", tmp_path / "bad.json")[1].strip()
        code, _, err = run_aoi(aoi, "models", "--registry", reg, "promote", bad, "--gate", "--store", store, *w)
        assert code == 1 and "refused" in err
        assert (reg / "current").read_text().strip() == second
        status, body = s.json("POST", "/v1/inspect", pathlib.Path(newer[0]["path"]).read_bytes(), key=KEY)
        assert status == 200 and body["model_version"] == second
    finally:
        s.close()
