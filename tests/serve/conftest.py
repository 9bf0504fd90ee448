"""Fixtures of the service tests: the aoi binary and the fixture folder that
make_serve_fixture wrote (CTest passes both in the environment), and a
factory of servers that are always killed at the end of a test."""
import os
import pathlib
import sqlite3
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from serve_harness import Server  # noqa: E402

KEY = "serve-test-key-0123456789"


@pytest.fixture(scope="session")
def aoi():
    return os.environ["AOI_BIN"]


@pytest.fixture(scope="session")
def fixture():
    return pathlib.Path(os.environ["AOI_SERVE_FIXTURE"])


@pytest.fixture
def start(aoi, fixture, tmp_path):
    servers = []

    def make(store=None, model=None, extra=(), env=None, wait_ready=True, use_registry=False):
        s = Server(aoi, None if use_registry else (model or fixture / "model.json"), store or tmp_path / "store",
                   fixture / "api_keys.txt", fixture / "tiny.aoiw", extra=extra, env=env, wait_ready=wait_ready)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def image(fixture, name):
    return (fixture / name).read_bytes()


def rows(store):
    db = sqlite3.connect(str(store / "results.sqlite"))
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM inspections ORDER BY id")]
    finally:
        db.close()


def integrity(store):
    db = sqlite3.connect(str(store / "results.sqlite"))
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def png(level, width=48, height=36, salt=0):
    """A grey PNG of the given brightness (salt varies one pixel: distinct bytes)."""
    import struct
    import zlib

    rows = []
    for y in range(height):
        row = bytearray([level, level, level] * width)
        if y == 0:
            row[0] = (level + salt) % 256
        rows.append(b"\x00" + bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def run_aoi(aoi, *args, timeout=600):
    import subprocess
    p = subprocess.run([aoi, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def wait_for(predicate, seconds=60):
    """Polls until predicate() is true or the time is up; returns its last value."""
    import time
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()
