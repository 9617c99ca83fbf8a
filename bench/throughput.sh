#!/usr/bin/env bash
# Replay throughput of the release binary, side by side on the same files:
# JSON lines, ftrace text and audit logs through a program with keyed maps
# and a filter, and every event printed as text to /dev/null. Median of 5
# runs each, in MB/s and records (lines) per second.
#
#   bench/throughput.sh [N] [OTHER_BINARY]
#
# With OTHER_BINARY (an older landtrace), it is measured on the same files
# after this one, for a before/after comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
other=${2:-}
dir=${TMPDIR:-/tmp}/landtrace-throughput-$n
mkdir -p "$dir"
[ -s "$dir/events.jsonl" ] || python3 bench/gen-events.py "$n" >"$dir/events.jsonl"
[ -s "$dir/events.audit" ] || python3 bench/gen-formats.py "$n" "$dir"
cargo build --release --quiet
prog=$dir/maps.lt
cat >"$prog" <<'LT'
on deny_access_fs where path =~ "/etc/**" { @etc[comm, path] = count() }
on deny_* { @by[comm, event] = count() }
on create_ruleset where handled_net == 0 { @fs_only[comm] = count() }
LT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # BINARY FILE PROGRAM...
    local bin=$1 file=$2
    shift 2
    for _ in 1 2 3 4 5; do
        local start end
        start=$(date +%s.%N)
        "$bin" "$@" --replay "$file" >/dev/null 2>&1 || true
        end=$(date +%s.%N)
        echo "$end - $start" | bc -l
    done | median
}

report() { # LABEL BINARY
    local label=$1 bin=$2
    echo "== $label ($bin)"
    for f in events.jsonl events.ftrace events.audit; do
        local file=$dir/$f bytes lines t
        bytes=$(stat -c %s "$file")
        lines=$(wc -l <"$file")
        t=$(measure "$bin" "$file" "$prog")
        printf '%-14s maps:  %6.3f s  %7.1f MB/s  %9.0f lines/s\n' "$f" "$t" \
            "$(echo "$bytes / $t / 1000000" | bc -l)" "$(echo "$lines / $t" | bc -l)"
    done
    local file=$dir/events.jsonl t
    t=$(measure "$bin" "$file" -e 'on *')
    printf '%-14s print: %6.3f s  %9.0f events/s (every event as text to /dev/null)\n' events.jsonl "$t" \
        "$(echo "$n / $t" | bc -l)"
}

report "this landtrace" ./target/release/landtrace
if [ -n "$other" ]; then
    report "other" "$other"
fi
