#!/usr/bin/env python3
"""aoi's ResNet-50 trunk against its peers, interleaved in one run on one
machine: every round runs every (peer, threads, batch) once, in the same
order, so drifts of a shared machine hit all of them alike. Prints the median
over rounds of each program's median ms per image and aoi's time as a ratio
of each peer's, as a Markdown table (also written to --json).

Peers (each skipped with a note when its package is missing):
  aoi     build/bench/peer_aoi            (aoi's own kernels)
  aoi_compact  the same with compact weights (AOI_COMPACT_WEIGHTS=1); only
          when --peers names it
  onednn  build/bench/peer_onednn         (libdnnl-dev; its blocked layouts, fused post-ops)
  onednn_nchw  the same with plain NCHW activations and OIHW weights
  torch   bench/peers/python_peer.py      (python3-torch; TorchScript, frozen)
  opencv  bench/peers/python_peer.py      (python3-opencv; ONNX export of the same module)
All run the same weights on the same synthetic input; their feature sums are
compared so that a peer computing something else is caught.

With --int8-weights (a file from `aoi quantize`) two more run in int8:
  aoi_int8     peer_aoi on that file
  onednn_int8  peer_onednn --precision int8 (u8 x s8 with the same float32
               stem; arbitrary scales, so its features are not compared)
With --bf16-weights (`aoi quantize --precision bf16`) aoi_bf16 and
onednn_bf16 run the same way in bfloat16.
Each peer's ratio is against aoi at the same precision; a last table gives
aoi's reduced-precision times over its float32 time. AOI_ISA and ONEDNN_MAX_CPU_ISA in the
environment pin both to one instruction set.

  python3 bench/compare_peers.py --weights ~/.local/share/aoi/resnet50-imagenet.aoiw

--headline PATH also writes the README's short table: aoi against oneDNN at
each precision and thread count, and int8 against float32 (medians).
--from-json PATH re-prints the tables of an earlier --json without running.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-torch / python3-opencv


def have_module(name):
    return subprocess.run([SYSTEM_PYTHON, "-c", f"import {name}"], capture_output=True).returncode == 0


def commands(build, weights, iterations, low_weights=None):
    peers = {}
    common = ["--weights", weights, "--iterations", str(iterations)]
    aoi = os.path.join(build, "bench", "peer_aoi")
    if not os.path.exists(aoi):
        sys.exit(f"{aoi} not built (cmake --build {build} --target peer_aoi)")
    peers["aoi"] = lambda t, b: ([aoi, "--threads", str(t), "--batch", str(b)] + common, {"AOI_COMPACT_WEIGHTS": "0"})
    peers["aoi_compact"] = lambda t, b: ([aoi, "--threads", str(t), "--batch", str(b)] + common,
                                         {"AOI_COMPACT_WEIGHTS": "1"})
    onednn = os.path.join(build, "bench", "peer_onednn")
    if os.path.exists(onednn):
        peers["onednn"] = lambda t, b: ([onednn, "--threads", str(t), "--batch", str(b)] + common,
                                        {"OMP_NUM_THREADS": str(t)})
        peers["onednn_nchw"] = lambda t, b: ([onednn, "--threads", str(t), "--batch", str(b), "--layout", "plain"] +
                                             common, {"OMP_NUM_THREADS": str(t)})
    else:
        print("note: peer_onednn not built (install libdnnl-dev and re-run cmake)", file=sys.stderr)
    for precision, path in (low_weights or {}).items():
        low_common = ["--weights", path, "--iterations", str(iterations)]
        peers["aoi_" + precision] = (lambda c: lambda t, b: ([aoi, "--threads", str(t), "--batch", str(b)] + c, {}))(
            low_common)
        if os.path.exists(onednn):
            peers["onednn_" + precision] = (lambda p: lambda t, b: (
                [onednn, "--threads", str(t), "--batch", str(b), "--precision", p] + common,
                {"OMP_NUM_THREADS": str(t)}))(precision)
    script = os.path.join(ROOT, "bench", "peers", "python_peer.py")
    for peer, module in (("torch", "torch"), ("opencv", "cv2")):
        if have_module(module) and have_module("torch"):
            peers[peer] = (lambda p: lambda t, b: ([SYSTEM_PYTHON, script, "--peer", p, "--threads", str(t),
                                                    "--batch", str(b)] + common, {"OMP_NUM_THREADS": str(t)}))(peer)
        else:
            print(f"note: {peer} skipped (python3-{module if module != 'cv2' else 'opencv'} missing)", file=sys.stderr)
    return peers


def run_once(cmd, extra_env):
    env = dict(os.environ, **extra_env)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=os.path.expanduser("~/.local/share/aoi/resnet50-imagenet.aoiw"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=20, help="timed passes per program run")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", default="1")
    ap.add_argument("--peers", default="aoi,onednn,onednn_nchw,torch,opencv")
    ap.add_argument("--int8-weights", help="an int8 file from aoi quantize: adds aoi_int8 and onednn_int8")
    ap.add_argument("--bf16-weights", help="a bf16 file from aoi quantize: adds aoi_bf16 and onednn_bf16")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--headline", help="also write the README's short table here")
    ap.add_argument("--from-json", help="the results of an earlier --json: print, do not run")
    a = ap.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            doc = json.load(f)
        write_headline(doc.get("raw", doc)["rows"], a.headline)
        return

    low = {p: w for p, w in (("int8", a.int8_weights), ("bf16", a.bf16_weights)) if w}
    wanted = a.peers.split(",") + [side + "_" + p for p in low for side in ("aoi", "onednn")]
    peers = {k: v for k, v in commands(a.build, a.weights, a.iterations, low).items() if k in wanted}
    configs = [(int(t), int(b)) for t in a.threads.split(",") for b in a.batch.split(",")]
    samples = {}
    fastest = {}  # each program's fastest pass over all rounds
    sums = {}
    for r in range(a.rounds):
        for t, b in configs:
            for name, make in peers.items():
                cmd, env = make(t, b)
                res = run_once(cmd, env)
                samples.setdefault((name, t, b), []).append(res["median_ms"])
                fastest[(name, t, b)] = min(fastest.get((name, t, b), float("inf")), res["min_ms"])
                sums.setdefault(name, res["feature_sum"])
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)

    ref = sums["aoi"]
    for name, s in sums.items():
        if precision_of(name) != "fp32":
            continue  # other weights (aoi) or arbitrary scales (oneDNN)
        if abs(s - ref) > 1e-3 * max(1.0, abs(ref)):
            print(f"warning: {name} feature sum {s} differs from aoi's {ref}", file=sys.stderr)
    rows = []
    # The median is the headline; the fastest pass shows each program with
    # the least interference, which on a shared VM (a busy neighbour on the
    # same physical core slows FMA-bound code without any steal time) can
    # differ from the median by more than the gaps between programs.
    print("| peer | threads | batch | ms per image (median of rounds) | aoi / peer | fastest pass ms | aoi / peer, fastest |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for t, b in configs:
        for name in peers:
            mine = "aoi" + suffix(precision_of(name))
            aoi_ms = statistics.median(samples[(mine, t, b)])
            aoi_best = fastest[(mine, t, b)]
            ms = statistics.median(samples[(name, t, b)])
            best = fastest[(name, t, b)]
            rows.append({"peer": name, "threads": t, "batch": b, "ms": ms, "aoi_over_peer": aoi_ms / ms,
                         "fastest_ms": best, "aoi_over_peer_fastest": aoi_best / best})
            print(f"| {name} | {t} | {b} | {ms:.1f} | {aoi_ms / ms:.2f} | {best:.1f} | {aoi_best / best:.2f} |")
    for p in low:
        print()
        print(f"| threads | batch | aoi {p} / aoi fp32 (median) | fastest passes |")
        print("| --- | --- | --- | --- |")
        for t, b in configs:
            r = statistics.median(samples[("aoi_" + p, t, b)]) / statistics.median(samples[("aoi", t, b)])
            rf = fastest[("aoi_" + p, t, b)] / fastest[("aoi", t, b)]
            print(f"| {t} | {b} | {r:.2f} | {rf:.2f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "feature_sums": sums}, f, indent=1)
    if a.headline:
        write_headline(rows, a.headline)


def precision_of(name):
    for p in ("int8", "bf16"):
        if name.endswith("_" + p):
            return p
    return "fp32"


def suffix(precision):
    return "" if precision == "fp32" else "_" + precision


def write_headline(rows, path):
    """aoi / oneDNN per precision and thread count, and aoi's reduced precision / its fp32."""
    ms = {(r["peer"], r["threads"], r["batch"]): r["ms"] for r in rows}
    lines = ["| trunk, batch 1 | threads | aoi ms | oneDNN ms | aoi / oneDNN | aoi at this precision / aoi fp32 |",
             "| --- | --- | --- | --- | --- | --- |"]
    order = {"fp32": 0, "bf16": 1, "int8": 2}
    for (peer, t, b), peer_ms in sorted(ms.items(), key=lambda kv: (order[precision_of(kv[0][0])], kv[0][1])):
        precision = precision_of(peer)
        if peer != "onednn" + suffix(precision):
            continue
        mine = ms[("aoi" + suffix(precision), t, b)]
        ratio = "%.2f" % (mine / ms[("aoi", t, b)]) if precision != "fp32" else ""
        lines.append(f"| {precision} | {t} | {mine:.1f} | {peer_ms:.1f} | {mine / peer_ms:.2f} | {ratio} |")
    text = "\n".join(lines) + "\n"
    if path:
        with open(path, "w") as f:
            f.write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
