#!/usr/bin/env python3
"""Writes N landtrace JSON-lines events (default 1,000,000) for benchmarks.

The events cycle over the shipped demo trace (every event kind), with
times, pids, inodes and paths varied so maps see many keys:

    python3 bench/gen-events.py 1000000 > /tmp/events.jsonl
"""
import json
import os
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "examples", "traces", "demo.jsonl")) as f:
    templates = [json.loads(line) for line in f]

out = sys.stdout
time = 5_000_000_000_000
for i in range(n):
    ev = dict(templates[i % len(templates)])
    time += 1000
    ev["time"] = time
    ev["pid"] = ev["tid"] = 1000 + i % 5000
    if "ino" in ev:
        ev["ino"] = i % 100_000
    if "path" in ev and i % 7 == 0:
        ev["path"] = f"/etc/app{i % 300}/conf"
    out.write(json.dumps(ev, separators=(",", ":")))
    out.write("\n")
