#!/usr/bin/env bash
# Replay throughput of the real binary: 1,000,000 landtrace JSON-lines
# events through a 3-clause program with maps. Prints events per second.
#
#   bench/replay-1m.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
file=${TMPDIR:-/tmp}/landtrace-bench-$n.jsonl
[ -s "$file" ] || python3 bench/gen-events.py "$n" > "$file"
cargo build --release --quiet
prog=$(mktemp)
cat > "$prog" <<'LT'
on deny_access_fs where path =~ "/etc/**" { @etc[comm, path] = count() }
on deny_* { @by[comm, event] = count() }
on create_ruleset where handled_net == 0 { @fs_only[comm] = count() }
LT
echo "file: $file ($(du -h "$file" | cut -f1), $n events)"
best=
for run in 1 2 3 4 5; do
    start=$(date +%s.%N)
    ./target/release/landtrace "$prog" --replay "$file" > /dev/null
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    printf 'run %d: %.3f s, %.0f events/s\n' "$run" "$t" "$(echo "$n / $t" | bc -l)"
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
printf 'best: %.3f s, %.0f events/s\n' "$best" "$(echo "$n / $best" | bc -l)"
/usr/bin/time -f 'peak RSS: %M KiB' ./target/release/landtrace "$prog" --replay "$file" > /dev/null
rm -f "$prog"
