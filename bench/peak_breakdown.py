#!/usr/bin/env python3
"""Where a process's resident memory is at its peak: runs COMMAND, samples
/proc/PID/smaps every 2 ms, and prints the resident MB of each mapping (the
heap, anonymous maps, each mapped file) in the sample with the largest total.
Sampling can miss a peak shorter than the interval; ru_maxrss cannot (bench/
cold_start.py reports that).

  bench/peak_breakdown.py [--top 12] -- COMMAND [ARGS...]
"""
import argparse
import collections
import os
import subprocess
import sys
import time


def sample(pid):
    """Resident KB by mapping name, or None once the process is gone."""
    try:
        text = open(f"/proc/{pid}/smaps").read()
    except OSError:
        return None
    groups, name = collections.Counter(), None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:
            name = parts[5] if len(parts) >= 6 else "[anon]"
            if name.startswith("/"):
                name = os.path.basename(name)
        elif parts and parts[0] == "Rss:":
            groups[name] += int(parts[1])
    return groups


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--top", type=int, default=12)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        sys.exit("peak_breakdown: no command")
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best = collections.Counter()
    while child.poll() is None:
        groups = sample(child.pid)
        if groups is None:
            break
        if sum(groups.values()) > sum(best.values()):
            best = groups
        time.sleep(0.002)
    if child.wait() != 0:
        sys.exit("peak_breakdown: the command failed")
    print("| mapping | resident MB at the sampled peak |")
    print("| --- | --- |")
    for name, kb in best.most_common(a.top):
        print(f"| {name} | {kb / 1024:.1f} |")
    print(f"| total | {sum(best.values()) / 1024:.1f} |")


if __name__ == "__main__":
    main()
