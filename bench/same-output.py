#!/usr/bin/env python3
"""Byte-identical output of two keytrail binaries: `python3 bench/same-output.py OLD NEW [PATH...]`.

Runs `keytrail scan --format jsonl --quiet -j 1` with each binary over each path (default: the
alert-cost bench object if generated, events/, events/trail, rules/tests and ../shared/corpus),
each with the built-in pack alone, with SigmaHQ's assumed-role rule added (the alert-cost row's
rule, which the prefilter index cannot route) and with a catch-all rule added (every record
alerts), and compares stdout byte for byte and the exit status. Prints one line a run with the
output's SHA-256; exits 1 when any run differs. For a change that must not change what an alert
says (a faster path to the same alerts); not part of `make test`.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
SIGMAHQ_RULE = os.path.join(ROOT, "shared", "keytrail-core", "tests", "sigmahq",
                            "aws_sts_assumerole_misuse.yml")
CATCH_ALL = """title: every record (output comparison)
id: same-output-catch-all
status: test
description: Matches every record, so that every record makes an alert.
logsource:
  product: aws
  service: cloudtrail
detection:
  present:
    eventName|exists: true
  absent:
    eventName|exists: false
  condition: present or absent
level: low
"""


def default_paths():
    bench = os.path.join(TARGET, "bench", "trail-30000.json.gz")
    paths = [bench] if os.path.exists(bench) else []
    return paths + [os.path.join(ROOT, p) for p in
                    ("events", "events/trail", "rules/tests", "../shared/corpus")]


def scan(binary, path, extra):
    proc = subprocess.run([binary, "scan", "--format", "jsonl", "--quiet", "-j", "1", *extra, path],
                          capture_output=True)
    return proc.returncode, proc.stdout


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new, paths = sys.argv[1], sys.argv[2], sys.argv[3:] or default_paths()
    work = tempfile.mkdtemp(prefix="keytrail-same-output-")
    try:
        sigma, catch_all = os.path.join(work, "sigmahq"), os.path.join(work, "catch-all")
        os.makedirs(sigma)
        os.makedirs(catch_all)
        shutil.copy(SIGMAHQ_RULE, sigma)
        with open(os.path.join(catch_all, "catch-all.yml"), "w") as f:
            f.write(CATCH_ALL)
        differ = 0
        for path in paths:
            for label, extra in (("pack", []), ("+sigmahq", ["--rules", sigma]),
                                 ("+catch-all", ["--rules", catch_all])):
                (old_exit, old_out), (new_exit, new_out) = scan(old, path, extra), scan(new, path, extra)
                same = (old_exit, old_out) == (new_exit, new_out)
                differ += not same
                lines = old_out.count(b"\n")
                digests = " / ".join(hashlib.sha256(o).hexdigest()[:16] for o in (old_out, new_out))
                print(f"{'same' if same else 'DIFFERENT'}: exit {old_exit}/{new_exit}, "
                      f"{lines} lines, sha256 {digests}: {os.path.relpath(path, ROOT)} {label}")
    finally:
        shutil.rmtree(work)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
