#!/usr/bin/env bash
# End-to-end replay through the real binary, Cranelift against the
# interpreter: 1,000,000 landtrace JSON-lines events through the 20-clause
# program bench/twenty-clauses.lt. Prints the best of 3 runs of each.
#
#   bench/replay-jit.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
file=${TMPDIR:-/tmp}/landtrace-bench-$n.jsonl
[ -s "$file" ] || python3 bench/gen-events.py "$n" > "$file"
cargo build --release --quiet
echo "file: $file ($(du -h "$file" | cut -f1), $n events), program: bench/twenty-clauses.lt"
for mode in jit no-jit; do
    flag=()
    [ "$mode" = no-jit ] && flag=(--no-jit)
    best=
    for _ in 1 2 3; do
        start=$(date +%s.%N)
        ./target/release/landtrace bench/twenty-clauses.lt "${flag[@]}" --replay "$file" > /dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    printf '%-7s best %.3f s, %.0f events/s\n' "$mode" "$best" "$(echo "$n / $best" | bc -l)"
done
