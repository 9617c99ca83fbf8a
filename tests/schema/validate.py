"""Checks JSON lines on stdin against landtrace's JSON Schema (argv[1]):
prints the first few lines it does not describe and exits 1 if there are
any.

Used by the tests (tests/schema/mod.rs); also by hand:
    landtrace -f json ... | python3 tests/schema/validate.py docs/schema/landtrace-v1.schema.json

The schema tells records apart by "type" and events by "event" (if/then);
a line is checked against the one definition those name, which is what
the whole schema says of it, and much faster than all of it at once.
Lines of another type, or not objects, are checked against the whole.
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
whole = cls(schema)
by_def = {}


def validator(rec):
    if not isinstance(rec, dict) or rec.get("type") not in schema["properties"]["type"]["enum"]:
        return whole
    name = rec["type"]
    if name == "event":
        if rec.get("event") not in schema["$defs"]["event"]["properties"]["event"]["enum"]:
            return whole
        name = "event_" + rec["event"]
    if name not in by_def:
        sub = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/" + name}
        by_def[name] = cls(sub)
    return by_def[name]


bad = 0
for n, line in enumerate(sys.stdin, 1):
    line = line.rstrip("\n")
    if not line:
        continue
    try:
        rec = json.loads(line)
    except ValueError as e:
        bad += 1
        print(f"line {n}: not JSON: {e}: {line[:200]}")
        continue
    errs = list(validator(rec).iter_errors(rec))
    if errs:
        bad += 1
        if bad <= 5:
            best = jsonschema.exceptions.best_match(errs)
            print(f"line {n}: {best.message} at {list(best.absolute_path)}: {line[:300]}")
print(f"{bad} bad lines", file=sys.stderr)
sys.exit(1 if bad else 0)
