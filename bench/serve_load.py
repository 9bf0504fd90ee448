#!/usr/bin/env python3
"""Load benchmark of `aoi serve`, side by side with `aoi score` on the same
images in one run.

Starts a server on loopback with a fresh store, posts the images from
CONCURRENCY client threads (keep-alive connections, round robin) for
SECONDS, and reports images/s, p50/p99 latency of the 200s, and every other
status. Then times `aoi score` on the same images with the same --threads
(rate from two list lengths, so that model loading cancels out) and reports
the ratio. Prints a Markdown table and, with --json, writes the figures.

  bench/serve_load.py --aoi build/src/cli/aoi --model model.json \\
      --weights ~/.local/share/aoi/resnet50-imagenet.aoiw --images DIR_OR_FILES... \\
      [--seconds 120] [--concurrency 8] [--threads 2] [--json out.json]

Exit status 1 when any request failed with a status other than 200 or 429
(or a connection error): the load test of tests/serve runs it briefly.
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "serve"))
from serve_harness import Server  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}


def list_images(args, limit):
    files = []
    for a in args:
        p = pathlib.Path(a)
        files += sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES) if p.is_dir() else [p]
    return files[:limit]


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run_load(server, bodies, seconds, concurrency, key):
    stop = threading.Event()
    lock = threading.Lock()
    latencies, statuses, errors = [], {}, []

    def client(n):
        conn = server.connection(timeout=120)
        i = n
        while not stop.is_set():
            body = bodies[i % len(bodies)]
            i += concurrency
            t0 = time.perf_counter()
            try:
                status, _, _ = server.request("POST", "/v1/inspect?item=load-%d" % i, body, key=key, conn=conn)
            except OSError as e:
                with lock:
                    errors.append(repr(e))
                conn.close()
                conn = server.connection(timeout=120)
                continue
            dt = time.perf_counter() - t0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(dt)
            if status == 429:
                time.sleep(0.05)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(300)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "ok": len(latencies), "images_per_s": len(latencies) / elapsed,
            "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "connection_errors": errors}


def time_score(aoi, model, weights, threads, files, tmp):
    def run(items):
        out = pathlib.Path(tmp) / "scores.csv"
        t0 = time.perf_counter()
        subprocess.run([aoi, "--quiet", "score", "--no-cache", "--model", str(model), "--weights", str(weights), "--threads",
                        str(threads), "-o", str(out), *map(str, items)], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    short = files[: max(1, len(files) // 4)]
    t_short, t_long = run(short), run(files)
    return (len(files) - len(short)) / max(t_long - t_short, 1e-3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aoi", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--images", nargs="+", required=True)
    ap.add_argument("--max-images", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--score-passes", type=int, default=4, help="aoi score runs over the images this many times")
    ap.add_argument("--json")
    a = ap.parse_args()

    files = list_images(a.images, a.max_images)
    if not files:
        sys.exit("serve_load: no images in %s" % " ".join(a.images))
    bodies = [f.read_bytes() for f in files]
    key = "serve-load-key-" + os.urandom(8).hex()
    with tempfile.TemporaryDirectory(prefix="aoi_serve_load.") as tmp:
        keys = pathlib.Path(tmp) / "keys.txt"
        keys.write_text(key + "\n")
        server = Server(a.aoi, a.model, pathlib.Path(tmp) / "store", keys, a.weights,
                        extra=["--threads", str(a.threads)])
        try:
            if a.warmup > 0:
                run_load(server, bodies, a.warmup, a.concurrency, key)
            serve = run_load(server, bodies, a.seconds, a.concurrency, key)
        finally:
            code = server.stop()
        score_rate = time_score(a.aoi, a.model, a.weights, a.threads, files * a.score_passes, tmp)

    failed = sum(v for k, v in serve["statuses"].items() if k not in ("200", "429")) + len(serve["connection_errors"])
    result = {"cpu": cpu_name(), "date": time.strftime("%Y-%m-%d"), "threads": a.threads,
              "concurrency": a.concurrency, "images": len(files), "serve": serve,
              "score_images_per_s": score_rate, "ratio": serve["images_per_s"] / score_rate,
              "p99_over_p50": serve["p99_ms"] / serve["p50_ms"], "failed_requests": failed, "server_exit": code}
    print("| threads | clients | aoi serve images/s | aoi score images/s | serve / score | p50 ms | p99 ms | "
          "p99 / p50 | failed (not 200/429) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("| %d | %d | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f | %d |" % (
        a.threads, a.concurrency, serve["images_per_s"], score_rate, result["ratio"], serve["p50_ms"],
        serve["p99_ms"], result["p99_over_p50"], failed))
    print("serve_load: statuses %s, connection errors %d, %d images, %.0f s" % (
        serve["statuses"], len(serve["connection_errors"]), len(files), serve["seconds"]), file=sys.stderr)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(result, indent=2) + "\n")
    return 1 if failed or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
