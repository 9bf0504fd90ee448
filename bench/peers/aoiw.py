"""Minimal reader of aoi's .aoiw weight files (weights/FORMAT.md) for the
Python peers: the JSON header and each tensor as a NumPy array. Checksums are
aoi's business; this only parses."""
import json
import struct

import numpy as np

MAGIC = b"AOIW\r\n\x1a\n"


def read_aoiw(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not an .aoiw file")
    header_offset, header_bytes, payload_offset, _ = struct.unpack_from("<QQQQ", data, 16)
    header = json.loads(data[header_offset:header_offset + header_bytes])
    tensors = {}
    for t in header["tensors"]:
        start = payload_offset + t["offset"]
        tensors[t["name"]] = np.frombuffer(data, np.float32, int(np.prod(t["shape"])), start).reshape(t["shape"])
    return header, tensors
