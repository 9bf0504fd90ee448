#!/usr/bin/env python3
"""Export a torchvision ResNet state dict as safetensors, for aoi-convert.

Needs only torch and torchvision (Debian: python3-torch, python3-torchvision);
the safetensors layout is written by hand (8-byte header length, JSON header,
raw little-endian float32 data), so the safetensors package is not required.

  tools/export_torchvision.py OUT.safetensors [--arch resnet50] [--weights IMAGENET1K_V1|random]
      [--check-input IN.f32 --check-output FEATURES.f32]

--weights random builds a randomly initialised model (seeded) with random batch
norm statistics: useful offline, to compare aoi with torch on the v1.5 path.
--check-input/--check-output also write torch's pooled features for a random
224x224 input, so that aoi's output can be compared with torch's.
"""
import argparse
import json
import struct

import torch
import torchvision


def save_safetensors(state, path):
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        if not tensor.dtype.is_floating_point:
            continue  # num_batches_tracked
        data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output")
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--weights", default="IMAGENET1K_V1")
    p.add_argument("--check-input")
    p.add_argument("--check-output")
    a = p.parse_args()
    torch.manual_seed(0)
    if a.weights == "random":
        model = getattr(torchvision.models, a.arch)(weights=None)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)
    else:
        model = getattr(torchvision.models, a.arch)(weights=a.weights)
    model.eval()
    save_safetensors(model.state_dict(), a.output)
    if a.check_input and a.check_output:
        x = torch.randn(1, 3, 224, 224, dtype=torch.float64)
        trunk = torch.nn.Sequential(*list(model.children())[:-1]).double()
        with torch.no_grad():
            features = trunk(x).flatten(1)
        x.to(torch.float32).numpy().tofile(a.check_input)
        features.to(torch.float32).numpy().tofile(a.check_output)


if __name__ == "__main__":
    main()
