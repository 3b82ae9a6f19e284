#!/usr/bin/env python3
"""Before/after of two keytrail binaries' scan on one object: `python3 bench/ab.py OLD NEW OBJECT
[ROUNDS]` (default 10), extra scan flags in `EXTRA` (e.g. `EXTRA="--rules DIR"`), another
subcommand in `CMD` (default `scan --format jsonl -j 1`; `CMD="bench lambda --hash"` times the
Lambda's path with log file hashing).

Each round runs `keytrail scan --format jsonl -j 1` once with each binary, the order alternating,
and takes the ratio within the round; it prints the median CPU time (user + system, steadier
than wall time on a shared host) of each, and min / median / max of the per-round ratios of CPU
and wall time. For bisecting a regression between two commits: build each with
`cargo build --release -p keytrail-cli` and copy the binaries aside first.
"""
import os
import resource
import statistics
import subprocess
import sys


def run(binary, obj):
    """Wall and CPU seconds of one scan of `obj` by `binary`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = os.times().elapsed
    cmd = os.environ.get("CMD", "scan --format jsonl -j 1").split()
    proc = subprocess.run([binary, *cmd, *os.environ.get("EXTRA", "").split(), obj],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = os.times().elapsed - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"{binary}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def spread(values):
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    old, new, obj = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) == 5 else 10
    cpu = {old: [], new: []}
    cpu_ratio, wall_ratio = [], []
    for r in range(rounds):
        result = {}
        for binary in ((old, new) if r % 2 == 0 else (new, old)):
            result[binary] = run(binary, obj)
        for binary in (old, new):
            cpu[binary].append(result[binary][1])
        cpu_ratio.append(result[new][1] / result[old][1])
        wall_ratio.append(result[new][0] / result[old][0])
    print(f"{os.path.basename(obj)}, {rounds} rounds, load {os.getloadavg()[0]:.2f}: "
          f"CPU s median old {statistics.median(cpu[old]):.3f}, new {statistics.median(cpu[new]):.3f}; "
          f"new/old CPU min / median / max {spread(cpu_ratio)}; wall {spread(wall_ratio)}")


if __name__ == "__main__":
    main()
