"""The scan against the floor in paired runs, for `make bench` (bench/run.py).

The floor is the fastest decompress-and-look-once the machine does with the scan's crates
(`keytrail bench floor`, cli/src/bench/floor.rs). Which setting is fastest depends on the host,
so several are timed and the fastest (by median) is the floor of each object and CPU setting:

- `one thread`: `keytrail bench floor` as built, which is issue 25's plain loop (128 KiB
  BufReader, 256 KiB reads, one thread, SIMD count): tuning found nothing simple that beats it
  (docs/performance.md, "The floor");
- `two threads`: gunzip on a thread of its own into 256 KiB chunks, the count on the other (the
  scan's own pipeline with nothing else to do), which overlaps the count with the gunzip.

Beside them, never the floor: `first floor`, the scalar byte-summing fold over 128 KiB reads
that the first floor used (what the old ratios were divided by), and `gunzip + SHA-256`, one
thread hashing every byte as log file validation does (what hashing costs by itself).

Every program runs once per round, the order rotating from round to round, for `pairs` rounds;
each ratio is taken between two runs of the same round (which met the same load) and printed
as the min / median / max over the rounds, so a noisy hour shows as a wide spread instead of
being averaged away. "1 CPU" runs every program under `taskset -c 0`: a Lambda function under
1,769 MB has less than one vCPU, so that is what each invocation pays.
"""

import os
import re
import statistics
import subprocess
import sys
import time

FLOORS = {
    "floor: one thread (the plain loop)": [],
    "floor: two threads": ["--threads", "2"],
}
OTHERS = {
    "first floor (scalar sum, 128 KiB)": ["--look", "sum", "--out-kib", "128"],
    "gunzip + SHA-256, one thread": ["--look", "sha256"],
}


def run(cmd, pin):
    """cmd under /usr/bin/time -v (pinned to CPU 0 with `pin`): (stdout, wall s, peak RSS MiB).
    The wall time is taken here with a monotonic clock."""
    full = ["/usr/bin/time", "-v", *(["taskset", "-c", "0"] if pin else []), *cmd]
    start = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return proc.stdout, seconds, rss / 1024


def rounds(programs, pairs, pin):
    """Runs each of `programs` ({name: cmd}) once per round for `pairs` rounds, the order
    rotating: {name: [(wall, rss, stdout)] in round order}."""
    names = list(programs)
    out = {name: [] for name in names}
    for r in range(pairs):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            stdout, wall, rss = run(programs[name], pin)
            out[name].append((wall, rss, stdout))
    return out


def spread(values):
    """(min, median, max)."""
    return min(values), statistics.median(values), max(values)


def compare(keytrail, label, path, records, pairs, pin, scans):
    """One object on one CPU setting: the table rows, the floor's name, and {program: median
    ratio to the floor}. `scans` is {name: cmd} of the programs measured against the floor."""
    floor = [keytrail, "bench", "floor", path]
    programs = {name: floor + args for name, args in FLOORS.items()}
    programs.update({name: floor + args for name, args in OTHERS.items()})
    programs.update(scans)
    load = os.getloadavg()[0]
    runs = rounds(programs, pairs, pin)
    medians = {name: statistics.median(w for w, _, _ in runs[name]) for name in FLOORS}
    fastest = min(medians, key=medians.get)
    base = [w for w, _, _ in runs[fastest]]
    cpus = "1 CPU" if pin else f"{os.cpu_count()} CPUs"
    rows, ratios = [], {}
    for name, got in runs.items():
        walls = [w for w, _, _ in got]
        pairwise = [w / b for w, b in zip(walls, base)]
        low, mid, high = spread(pairwise)
        ratios[name] = mid
        mark = " (the floor)" if name == fastest else ""
        rows.append(f"| {label} | {cpus} | {name}{mark} | {statistics.median(walls):.3f} | "
                    f"{records / statistics.median(walls) / 1e6:.2f} | "
                    f"{low:.2f} / {mid:.2f} / {high:.2f} | {max(r for _, r, _ in got):.1f} | "
                    f"{load:.2f} -> {os.getloadavg()[0]:.2f} |")
    return rows, fastest, ratios, runs


HEADER = ("| object | CPUs | program | median s | M records/s | /floor min / median / max | "
          "RSS MiB | load (1 min) |")
RULE = "|---|---|---|---|---|---|---|---|"
