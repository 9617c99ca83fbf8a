#!/usr/bin/env python3
"""Writes the same kind of workload in the three formats landtrace replays,
for bench/throughput.sh: N ftrace text lines cycling over the shipped
demo.ftrace and N audit records cycling over the real sandboxer.audit.log
(serials and times renumbered, pids and paths varied), next to the JSON
lines of bench/gen-events.py.

    python3 bench/gen-formats.py N DIR    # writes DIR/events.ftrace, DIR/events.audit
"""
import os
import re
import sys

n = int(sys.argv[1])
out_dir = sys.argv[2]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "traces")

with open(os.path.join(here, "demo.ftrace")) as f:
    ftrace = [l.rstrip("\n") for l in f if "landlock_" in l and not l.startswith("#")]
stamp = re.compile(r"(\S+)-(\d+)(\s+\[\d+\].*?)(\d+\.\d+):")
with open(os.path.join(out_dir, "events.ftrace"), "w") as out:
    out.write("# tracer: nop\n#\n")
    for i in range(n):
        line = ftrace[i % len(ftrace)]
        t = 5000 + i / 1_000_000
        line = stamp.sub(lambda m: f"{m.group(1)}-{1000 + i % 5000}{m.group(3)}{t:.6f}:", line, count=1)
        if i % 7 == 0:
            line = line.replace("path=/etc/", f"path=/etc/app{i % 300}/", 1)
        out.write(line + "\n")

with open(os.path.join(here, "sandboxer.audit.log")) as f:
    audit = [l.rstrip("\n") for l in f]
# Records by serial, in order: each group is replayed with a new serial.
groups = []
for l in audit:
    m = re.search(r"msg=audit\((\d+\.\d+):(\d+)\)", l)
    if not m:
        continue
    if not groups or groups[-1][0] != m.group(2):
        groups.append((m.group(2), []))
    groups[-1][1].append(l)
records = 0
serial = 1000
secs = 1795961782
with open(os.path.join(out_dir, "events.audit"), "w") as out:
    while records < n:
        for _, lines in groups:
            serial += 1
            ms = serial % 1000
            for l in lines:
                l = re.sub(r"msg=audit\(\d+\.\d+:\d+\)", f"msg=audit({secs + serial // 1000}.{ms:03d}:{serial})", l)
                l = re.sub(r"\bpid=\d+", f"pid={1000 + serial % 5000}", l)
                out.write(l + "\n")
                records += 1
            if records >= n:
                break
