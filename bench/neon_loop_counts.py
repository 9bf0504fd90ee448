#!/usr/bin/env python3
"""Instruction counts of the aarch64 micro-kernels' inner loops, from the
cross build's object files: a static model for where no ARM hardware is at
hand (qemu-user runs the kernels, but its timing says nothing about a real
core).

For each kernel object it disassembles the code (aarch64-linux-gnu-objdump),
finds every loop (a branch back to an earlier address of the same function),
and takes the loop with the most multiply-adds that holds no other loop: the
kernel's inner loop. It prints one Markdown row per kernel: the loop's
instructions by kind, its multiply-adds (sdot/sudot/usdot/udot: 16 each into
.4s; smmla/ummla/usmmla: 32; smlal/umlal and their "2" forms: 4 into .4s, 8
into .8h; fmla: 4 into .4s), multiply-adds per instruction, and a cycle
model of a core with two ASIMD pipes, two load/store pipes and four-wide issue (Cortex-A76 /
Neoverse N1 class): the largest of (multiply instructions / 2), (loads and
stores / 2) and (instructions / 4), per 64 multiply-adds.

  bench/neon_loop_counts.py [--build build-aarch64] [--objdump aarch64-linux-gnu-objdump]
"""
import argparse
import os
import re
import subprocess
import sys

KERNELS = [  # (object file under src/CMakeFiles/aoi_objects.dir, what it is)
    ("kernels/arm/microkernel_neon.cpp.o", "fp32 `fmla` (reference: the float kernel)"),
    ("kernels/arm/qgemm_neon.cpp.o", "int8 `neon`: widening `smlal` (any ARMv8-A)"),
    ("kernels/arm/qgemm_neon_sdot.cpp.o", "int8 `neon_sdot`: `sdot` by element (FEAT_DotProd)"),
    ("kernels/arm/qgemm_neon_i8mm.cpp.o", "int8 `neon_i8mm`: `usmmla` 2 x 8 by 8 x 2 blocks (FEAT_I8MM)"),
]

LINE = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.+)>:$")
BRANCH = re.compile(r"^(b|b\.\w+|cbz|cbnz|tbz|tbnz)$")


def multiply_adds(mnemonic, operands):
    dest = operands.split(",")[0].strip()
    arrangement = dest.split(".")[-1] if "." in dest else ""
    if mnemonic in ("sdot", "udot", "sudot", "usdot"):
        return 16 if arrangement == "4s" else 8
    if mnemonic in ("smmla", "ummla", "usmmla"):
        return 32  # 2 x 2 outputs of 8-deep products
    if re.fullmatch(r"[su]mlal2?", mnemonic):
        return {"4s": 4, "8h": 8, "2d": 2}.get(arrangement, 0)
    if mnemonic == "fmla":
        return {"4s": 4, "2d": 2, "8h": 8}.get(arrangement, 0)
    return 0


def functions(path, objdump):
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", path], check=True, capture_output=True,
                         text=True).stdout
    found = []
    for line in out.splitlines():
        m = FUNCTION.match(line)
        if m:
            found.append((m.group(1), []))
            continue
        m = LINE.match(line)
        if m and found:
            found[-1][1].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return found


def loops(code):
    """(first, last) index pairs of every backward branch's body."""
    at = {address: i for i, (address, _, _) in enumerate(code)}
    found = []
    for i, (address, mnemonic, operands) in enumerate(code):
        if not BRANCH.match(mnemonic):
            continue
        target = re.search(r"\b([0-9a-f]+) <", operands)
        if not target:
            continue
        t = int(target.group(1), 16)
        if t < address and t in at:
            found.append((at[t], i))
    return found


def inner_loop(path, objdump):
    best = None
    for _name, code in functions(path, objdump):
        spans = loops(code)
        for first, last in spans:
            if any(f > first and l <= last or f >= first and l < last for f, l in spans if (f, l) != (first, last)):
                continue  # holds another loop
            body = code[first:last + 1]
            macs = sum(multiply_adds(m, o) for _, m, o in body)
            if macs and (best is None or macs > best[0]):
                best = (macs, body)
    return best


def kind(mnemonic, operands):
    if multiply_adds(mnemonic, operands):
        return "multiply"
    if mnemonic.startswith(("ld", "st")):
        return "load/store"
    if BRANCH.match(mnemonic) or mnemonic in ("cmp", "subs", "adds") or mnemonic.startswith("add") and "x" in operands.split(",")[0]:
        return "loop"
    return "other"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build-aarch64")
    p.add_argument("--objdump", default="aarch64-linux-gnu-objdump")
    args = p.parse_args()
    rows = []
    for obj, what in KERNELS:
        path = os.path.join(args.build, "src/CMakeFiles/aoi_objects.dir", obj)
        if not os.path.exists(path):
            sys.exit(f"neon_loop_counts: {path} is missing (build with scripts/cross-aarch64.sh --no-install)")
        found = inner_loop(path, args.objdump)
        if not found:
            sys.exit(f"neon_loop_counts: no loop with multiply-adds in {path}")
        macs, body = found
        counts = {"multiply": 0, "load/store": 0, "loop": 0, "other": 0}
        for _, m, o in body:
            counts[kind(m, o)] += 1
        total = len(body)
        cycles = max(counts["multiply"] / 2, counts["load/store"] / 2, total / 4) * 64 / macs
        rows.append((what, total, counts["multiply"], counts["load/store"], counts["other"], counts["loop"], macs,
                     macs / total, cycles))
    print("| kernel | instructions per loop pass | multiply | load/store | other | loop | multiply-adds per pass |"
          " multiply-adds per instruction | model: cycles per 64 multiply-adds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]:.1f} | {r[8]:.2f} |")


if __name__ == "__main__":
    main()
