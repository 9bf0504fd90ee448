"""Peers run from Python: the same ResNet-50 trunk (the .aoiw weights, batch
norm folded, so every convolution has a bias) through PyTorch (TorchScript,
frozen) or OpenCV DNN (an ONNX export of that module). Same synthetic input
and timing loop as bench/peers/peer_args.hpp; prints one JSON line.

  python3 bench/peers/python_peer.py --peer torch|opencv --weights W.aoiw --threads 1
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from aoiw import read_aoiw  # noqa: E402


def synthetic_input(batch, size):
    n = batch * 3 * size * size
    return ((np.arange(n, dtype=np.int64) * 7919 % 255).astype(np.float32) - 120.0).reshape(batch, 3, size, size)


def build_torch_trunk(header, tensors):
    import torch
    from torch import nn

    def conv(name, stride, pad):
        w = torch.from_numpy(tensors[name + ".weight"].copy())
        c = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], stride, pad, bias=True)
        c.weight.data.copy_(w)
        c.bias.data.copy_(torch.from_numpy(tensors[name + ".bias"].copy()))
        return c

    class Block(nn.Module):
        def __init__(self, prefix, stride, v1):
            super().__init__()
            self.conv1 = conv(prefix + "conv1", stride if v1 else 1, 0)
            self.conv2 = conv(prefix + "conv2", 1 if v1 else stride, 1)
            self.conv3 = conv(prefix + "conv3", 1, 0)
            self.down = conv(prefix + "downsample", stride, 0) if prefix + "downsample.weight" in tensors else None

        def forward(self, x):
            y = torch.relu(self.conv1(x))
            y = torch.relu(self.conv2(y))
            y = self.conv3(y)
            return torch.relu(y + (self.down(x) if self.down is not None else x))

    class Trunk(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = conv("stem", 2, 3)
            self.pool = nn.MaxPool2d(3, 2, 1)
            blocks = []
            for s, count in enumerate(header["blocks"]):
                for b in range(count):
                    blocks.append(Block(f"layer{s + 1}.{b}.", 2 if s > 0 and b == 0 else 1, header["variant"] == "v1"))
            self.blocks = nn.Sequential(*blocks)

        def forward(self, x):
            x = self.pool(torch.relu(self.stem(x)))
            return torch.flatten(nn.functional.adaptive_avg_pool2d(self.blocks(x), 1), 1)

    return Trunk().eval()


def time_loop(run, batch, iterations, warmup):
    for _ in range(warmup):
        out = run()
    ms = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        out = run()
        ms.append((time.perf_counter() - t0) * 1000.0 / batch)
    ms.sort()
    return ms, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", choices=["torch", "opencv"], required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    header, tensors = read_aoiw(a.weights)
    size = header["preprocess"]["input_size"]
    x = synthetic_input(a.batch, size)
    model = build_torch_trunk(header, tensors)
    with torch.no_grad():
        if a.peer == "torch":
            example = torch.from_numpy(x)
            frozen = torch.jit.freeze(torch.jit.script(model))
            with torch.no_grad():
                ms, out = time_loop(lambda: frozen(example), a.batch, a.iterations, a.warmup)
            features = out.numpy()
        else:
            import cv2
            cv2.setNumThreads(a.threads)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "trunk.onnx")
                torch.onnx.export(model, torch.from_numpy(x), path, opset_version=11)
                net = cv2.dnn.readNetFromONNX(path)
            net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
            net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)

            def run():
                net.setInput(x)
                return net.forward()
            ms, out = time_loop(run, a.batch, a.iterations, a.warmup)
            features = np.asarray(out)
    print(json.dumps({"peer": a.peer, "batch": a.batch, "threads": a.threads, "median_ms": round(ms[len(ms) // 2], 3),
                      "min_ms": round(ms[0], 3), "feature_sum": float(np.sum(features, dtype=np.float64))}))


if __name__ == "__main__":
    main()
