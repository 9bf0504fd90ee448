#!/usr/bin/env python3
"""tools/deeppcb/build_manifest.py on a small fake DeepPCB tree.

The builder only reads folder names and annotation files, so the images here
are empty placeholders.
"""

import csv
import io
import os
import random
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "deeppcb"))
import build_manifest as bm  # noqa: E402


def make_dataset(root, pairs_per_group, seed=1):
    """Groups 20000 and 10000 (listed out of order) with random boxes; returns {pair: boxes}."""
    rng = random.Random(seed)
    boxes = {}
    for group in ("20000", "10000"):
        os.makedirs(os.path.join(root, "PCBData", "group" + group, group))
        os.makedirs(os.path.join(root, "PCBData", "group" + group, group + "_not"))
        for k in range(pairs_per_group):
            pair = f"{group}{k:03d}"
            for suffix in ("_test.jpg", "_temp.jpg"):
                open(os.path.join(root, "PCBData", "group" + group, group, pair + suffix), "w").close()
            pair_boxes = []
            for _ in range(rng.randint(1, 6)):
                w, h = rng.randint(10, 60), rng.randint(10, 60)
                x, y = rng.randint(0, 640 - w), rng.randint(0, 640 - h)
                pair_boxes.append((x, y, x + w, y + h, rng.randint(1, 6)))
            if pair == "20000001":
                pair_boxes.append((560, 560, 640, 640 - 0, 2))  # at the corner: the crop must stay inside
                pair_boxes.append((0, 0, 200, 150, 1))            # larger than the crop side
            with open(os.path.join(root, "PCBData", "group" + group, group + "_not", pair + ".txt"), "w") as f:
                for b in pair_boxes:
                    f.write(" ".join(map(str, b)) + "\n")
            boxes[pair] = pair_boxes
    return boxes


def run(args):
    err = io.StringIO()
    with redirect_stderr(err):
        code = bm.main(args)
    return code, err.getvalue()


def text(path):
    with open(path) as f:
        return f.read()


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class BuildManifest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.boxes = make_dataset(os.path.join(self.root, "deeppcb"), 4)
        self.out = os.path.join(self.root, "out", "m.csv")

    def tearDown(self):
        self.tmp.cleanup()

    def test_three_regions_per_pair_with_the_documented_rules(self):
        code, err = run([os.path.join(self.root, "deeppcb"), "-o", self.out])
        self.assertEqual(code, 0, err)
        rows = read(self.out)
        self.assertEqual(list(rows[0].keys()), ["path", "label", "time", "group", "x", "y", "w", "h"])
        self.assertEqual(len(rows), 3 * 8)
        by_pair = {}
        for r in rows:
            by_pair.setdefault(r["group"], []).append(r)
        self.assertEqual(set(by_pair), set(self.boxes))
        # Time follows group folder order (10000 before 20000), then image index.
        order = sorted(by_pair, key=lambda p: int(by_pair[p][0]["time"]))
        self.assertEqual(order, sorted(self.boxes))
        for pair, items in by_pair.items():
            self.assertEqual(len({r["time"] for r in items}), 1)
            fail, twin, clean = items
            boxes = self.boxes[pair]
            region = lambda r: tuple(int(r[k]) for k in "xywh")
            for r in items:
                x, y, w, h = region(r)
                self.assertTrue(0 <= x and 0 <= y and x + w <= 640 and y + h <= 640, r)
                self.assertGreaterEqual(w, 96)
                path = os.path.normpath(os.path.join(os.path.dirname(self.out), r["path"]))
                self.assertTrue(os.path.isfile(path), path)
            self.assertEqual(fail["label"], "fail")
            self.assertTrue(fail["path"].endswith(pair + "_test.jpg"))
            # The fail crop covers one annotated box entirely.
            x, y, w, h = region(fail)
            self.assertTrue(any(x <= b[0] and y <= b[1] and b[2] <= x + w and b[3] <= y + h for b in boxes))
            self.assertEqual((twin["label"], region(twin)), ("pass", region(fail)))
            self.assertTrue(twin["path"].endswith(pair + "_temp.jpg"))
            self.assertEqual(clean["label"], "pass")
            self.assertTrue(clean["path"].endswith(pair + "_test.jpg"))
            for b in boxes:
                self.assertFalse(bm.overlaps(region(clean), b, 8), (pair, b))

    def test_deterministic_and_seeded(self):
        run([os.path.join(self.root, "deeppcb"), "-o", self.out])
        first = text(self.out)
        run([os.path.join(self.root, "deeppcb"), "-o", self.out])
        self.assertEqual(text(self.out), first)
        run([os.path.join(self.root, "deeppcb"), "-o", self.out, "--seed", "7"])
        self.assertNotEqual(text(self.out), first)

    def test_types_every_and_bad_annotations(self):
        with open(os.path.join(self.root, "deeppcb", "PCBData", "group10000", "10000_not", "10000002.txt"), "a") as f:
            f.write("1 2 3\n")
        code, err = run([os.path.join(self.root, "deeppcb"), "-o", self.out, "--types"])
        self.assertEqual(code, 1)
        self.assertIn("10000002.txt:", err)
        self.assertIn("expected 'x1 y1 x2 y2 type'", err)
        rows = read(self.out)
        self.assertEqual(len(rows), 3 * 7)
        self.assertTrue({r["label"] for r in rows} <= {"pass", *bm.TYPE_NAMES.values()})
        self.assertEqual(sum(r["label"] != "pass" for r in rows), 7)
        code, _ = run([os.path.join(self.root, "deeppcb"), "-o", self.out, "--every", "3"])
        self.assertEqual(len({r["group"] for r in read(self.out)}), 3)  # ordinals 0, 3, 6 (one skipped pair is 2)

    def test_not_a_dataset(self):
        with self.assertRaises(SystemExit):
            run([self.root, "-o", self.out])


if __name__ == "__main__":
    unittest.main()
