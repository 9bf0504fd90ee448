#!/usr/bin/env python3
"""Build pass/fail manifests of region crops from the DeepPCB dataset.

DeepPCB holds 1,500 aligned pairs of 640 x 640 PCB images: a tested image with
annotated defects (<id>_test.jpg, boxes in <group>_not/<id>.txt as
"x1 y1 x2 y2 type") and its defect-free template (<id>_temp.jpg).

For every pair this writes up to three regions (docs/pipeline.md):
  fail  a square crop around one annotated defect of the tested image
        (the defect picked with a seeded RNG, so every type is represented);
  pass  the same region of the template (the defect's "twin");
  pass  a defect-free region of the tested image (no annotated box within
        --clearance pixels), found by seeded random search.

Columns: path,label,time,group,x,y,w,h (see docs/manifest.md). Paths are
relative to the manifest's folder. `time` stands in for capture order, which
DeepPCB does not record: the ordinal of the pair when pairs are sorted by board
group, then by image index. `group` is the pair id, so a template crop and its
tested twin never land in different cross-validation folds.

With --types the fail label is the defect type (open, short, mousebite, spur,
copper, pin-hole) instead of "fail": the multi-class variant.

Standard library only, so it runs wherever python3 does.
"""

import argparse
import csv
import os
import random
import re
import sys

TYPE_NAMES = {1: "open", 2: "short", 3: "mousebite", 4: "spur", 5: "copper", 6: "pin-hole"}
IMAGE_SIDE = 640


class BadAnnotation(Exception):
    pass


def read_boxes(path):
    """Boxes (x1, y1, x2, y2, type) of one annotation file; commas or spaces."""
    boxes = []
    with open(path, encoding="ascii", errors="replace") as f:
        for number, line in enumerate(f, 1):
            fields = [p for p in re.split(r"[,\s]+", line.strip()) if p]
            if not fields:
                continue
            if len(fields) != 5:
                raise BadAnnotation(f"{path}:{number}: expected 'x1 y1 x2 y2 type', got {line.strip()!r}")
            try:
                x1, y1, x2, y2, kind = (int(v) for v in fields)
            except ValueError:
                raise BadAnnotation(f"{path}:{number}: not integers: {line.strip()!r}") from None
            if kind not in TYPE_NAMES or not (0 <= x1 < x2 <= IMAGE_SIDE and 0 <= y1 < y2 <= IMAGE_SIDE):
                raise BadAnnotation(f"{path}:{number}: box or type out of range: {line.strip()!r}")
            boxes.append((x1, y1, x2, y2, kind))
    return boxes


def square_around(box, side):
    """A square region of at least `side` covering the box, inside the image."""
    x1, y1, x2, y2 = box[:4]
    side = min(IMAGE_SIDE, max(side, x2 - x1, y2 - y1))
    cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
    x = min(max(cx - side // 2, 0), IMAGE_SIDE - side)
    y = min(max(cy - side // 2, 0), IMAGE_SIDE - side)
    return x, y, side, side


def overlaps(region, box, clearance):
    x, y, w, h = region
    return not (x + w + clearance <= box[0] or box[2] + clearance <= x or
                y + h + clearance <= box[1] or box[3] + clearance <= y)


def clean_region(boxes, side, clearance, rng, tries=500):
    for _ in range(tries):
        x, y = rng.randrange(IMAGE_SIDE - side + 1), rng.randrange(IMAGE_SIDE - side + 1)
        if not any(overlaps((x, y, side, side), b, clearance) for b in boxes):
            return x, y, side, side
    return None


def find_pairs(root):
    """(group, pair id, test image, template image, annotation) sorted by group, then index."""
    data = os.path.join(root, "PCBData") if os.path.isdir(os.path.join(root, "PCBData")) else root
    groups = sorted(d for d in os.listdir(data) if d.startswith("group") and os.path.isdir(os.path.join(data, d)))
    if not groups:
        raise SystemExit(f"build_manifest: {data}: no group* folders; is this the DeepPCB dataset?")
    pairs = []
    for group in groups:
        number = group[len("group"):]
        annotations = os.path.join(data, group, number + "_not")
        images = os.path.join(data, group, number)
        for name in sorted(os.listdir(annotations)):
            if name.endswith(".txt"):
                pair = name[:-4]
                pairs.append((group, pair, os.path.join(images, pair + "_test.jpg"),
                              os.path.join(images, pair + "_temp.jpg"), os.path.join(annotations, name)))
    return pairs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="the DeepPCB folder (holding PCBData/)")
    parser.add_argument("-o", "--output", required=True, help="manifest CSV to write")
    parser.add_argument("--side", type=int, default=96, help="crop side in pixels (default 96)")
    parser.add_argument("--clearance", type=int, default=8,
                        help="defect-free crops keep this many pixels from every box (default 8)")
    parser.add_argument("--seed", type=int, default=2024, help="RNG seed for defect choice and clean regions")
    parser.add_argument("--types", action="store_true", help="label fails by defect type (multi-class)")
    parser.add_argument("--every", type=int, default=1, help="keep every k-th pair (a smaller, still time-spread set)")
    args = parser.parse_args(argv)
    if not 16 <= args.side <= IMAGE_SIDE:
        parser.error(f"--side must be 16 to {IMAGE_SIDE}")
    if args.every < 1:
        parser.error("--every must be at least 1")

    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    rows, skipped, no_clean = [], [], 0
    for ordinal, (group, pair, test, template, annotation) in enumerate(find_pairs(args.dataset)):
        if ordinal % args.every:
            continue
        missing = [p for p in (test, template) if not os.path.isfile(p)]
        if missing:
            skipped.append(f"{missing[0]}: missing")
            continue
        try:
            boxes = read_boxes(annotation)
        except BadAnnotation as e:
            skipped.append(str(e))
            continue
        if not boxes:
            skipped.append(f"{annotation}: no defect boxes")
            continue
        rng = random.Random(f"{args.seed}:{pair}")  # str seeds hash stably across runs
        box = rng.choice(boxes)
        region = square_around(box, args.side)
        rel = lambda p: os.path.relpath(p, out_dir)
        fail_label = TYPE_NAMES[box[4]] if args.types else "fail"
        rows.append((rel(test), fail_label, ordinal, pair, *region))
        rows.append((rel(template), "pass", ordinal, pair, *region))
        clean = clean_region(boxes, args.side, args.clearance, rng)
        if clean:
            rows.append((rel(test), "pass", ordinal, pair, *clean))
        else:
            no_clean += 1

    with open(args.output, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["path", "label", "time", "group", "x", "y", "w", "h"])
        writer.writerows(rows)
    fails = sum(1 for r in rows if r[1] != "pass")
    print(f"build_manifest: wrote {len(rows)} regions ({fails} fail, {len(rows) - fails} pass) to {args.output}",
          file=sys.stderr)
    if no_clean:
        print(f"build_manifest: {no_clean} pairs had no defect-free region of side {args.side}", file=sys.stderr)
    for message in skipped:
        print(f"build_manifest: skipped {message}", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
