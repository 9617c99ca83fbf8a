#!/usr/bin/env bash
# landtrace next to the tools people would use instead, in one run, as
# ratios (root, for the live parts):
#
#   1. against bpftrace: start-up to attached (launch until the traced
#      command runs: both start it only once attached), to exit (`-c
#      /bin/true`; detaching takes each tracepoint a grace period), peak
#      memory, and the cost of an unrelated syscall (getppid) while each
#      is attached to the Landlock syscalls;
#   2. against jq: the same count-by-comm over the same JSON lines.
#
#   bench/compare.sh [EVENTS]      (default 1,000,000 JSON lines for part 2)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (live parts)" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "needs bpftrace (apt-get install bpftrace)" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 1; }
cargo build --release --quiet
bin=./target/release/landtrace
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/loop" bench/ruleset-loop.c
cc -O2 -o "$work/stamp" bench/stamp.c

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

# time_mem CMD...: median wall ms and median peak KiB of 7 runs.
time_mem() {
    local i
    for i in 1 2 3 4 5 6 7; do
        /usr/bin/time -f '%e %M' -o "$work/t$i" "$@" >/dev/null 2>&1 || true
    done
    local ms kib
    ms=$(for i in 1 2 3 4 5 6 7; do awk '{print $1 * 1000}' "$work/t$i"; done | median)
    kib=$(for i in 1 2 3 4 5 6 7; do awk '{print $2}' "$work/t$i"; done | median)
    echo "$ms $kib"
}

# attached_ms TOOL ARGS...: median ms of 7 runs from launch until `-c stamp` runs.
attached_ms() {
    local i t0 t1
    for i in 1 2 3 4 5 6 7; do
        t0=$("$work/stamp")
        t1=$("$@" -c "$work/stamp" 2>/dev/null | grep -E '^[0-9]{10,}$' | tail -1)
        echo $(((t1 - t0) / 1000))
    done | median | awk '{printf "%.1f", $1 / 1000}'
}

echo "== 1. against bpftrace"
lt_att=$(attached_ms "$bin" -q -e 'on create_ruleset { @ = count() }')
bt_att=$(attached_ms bpftrace -e 'tracepoint:syscalls:sys_exit_landlock_create_ruleset { @ = count(); }')
printf 'start-up to attached:             landtrace %6.1f ms, bpftrace %6.1f ms: %sx faster\n' \
    "$lt_att" "$bt_att" "$(ratio "$bt_att" "$lt_att")"
read -r lt_ms lt_kib < <(time_mem "$bin" -e 'on create_ruleset { @ = count() }' -c /bin/true)
read -r bt_ms bt_kib < <(time_mem bpftrace -e 'tracepoint:syscalls:sys_exit_landlock_create_ruleset { @ = count(); }' -c /bin/true)
printf 'start-up to exit (-c /bin/true): landtrace %6.0f ms, bpftrace %6.0f ms: %sx faster\n' \
    "$lt_ms" "$bt_ms" "$(ratio "$bt_ms" "$lt_ms")"
printf 'peak memory:                      landtrace %6.1f MiB, bpftrace %6.1f MiB: %sx less\n' \
    "$(echo "$lt_kib / 1024" | bc -l)" "$(echo "$bt_kib / 1024" | bc -l)" "$(ratio "$bt_kib" "$lt_kib")"

# getppid ns per call: median of 5 loops of 2M calls.
getppid_ns() { for _ in 1 2 3 4 5; do "$work/loop" 2000000 getppid | grep -o '[0-9.]* ns' | grep -o '[0-9.]*'; done | median; }
base=$(getppid_ns)
"$bin" --ready-fd 3 -e 'on create_ruleset { @ = count() }' 3>"$work/ready" >/dev/null 2>&1 &
lt=$!
while [ ! -s "$work/ready" ]; do sleep 0.05; done
with_lt=$(getppid_ns)
kill -INT "$lt"
wait "$lt" || true
bpftrace -e 'tracepoint:syscalls:sys_exit_landlock_create_ruleset { @ = count(); }' >"$work/bt.out" 2>&1 &
bt=$!
sleep 3
with_bt=$(getppid_ns)
kill -INT "$bt"
wait "$bt" || true
printf 'an unrelated syscall (getppid):   nothing %s ns, landtrace %s ns, bpftrace %s ns per call\n' \
    "$base" "$with_lt" "$with_bt"

echo "== 2. against jq"
n=${1:-1000000}
file=${TMPDIR:-/tmp}/landtrace-bench-$n.jsonl
[ -s "$file" ] || python3 bench/gen-events.py "$n" >"$file"
wall() { # median wall seconds of 5 runs of CMD...
    for _ in 1 2 3 4 5; do
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null
        e=$(date +%s.%N)
        echo "$e - $s" | bc -l
    done | median
}
lt_s=$(wall "$bin" -e 'on * { @[comm] = count() }' --replay "$file")
jq_s=$(wall jq -s 'map(select(.type == "event")) | group_by(.comm) | map({(.[0].comm): length}) | add' "$file")
# The two agree on the counts.
"$bin" -f json -e 'on * { @[comm] = count() }' --replay "$file" |
    jq -c 'select(.type == "map") | .entries | map({(.keys[0]): .value}) | add' | jq -S . >"$work/lt.json"
jq -s 'map(select(.type == "event")) | group_by(.comm) | map({(.[0].comm): length}) | add' "$file" | jq -S . >"$work/jq.json"
cmp -s "$work/lt.json" "$work/jq.json" && agree=yes || agree=NO
printf 'count by comm over %s JSON lines (%s): landtrace %.2f s, jq %.2f s: %sx faster (same counts: %s)\n' \
    "$n" "$(du -h "$file" | cut -f1)" "$lt_s" "$jq_s" "$(ratio "$jq_s" "$lt_s")" "$agree"
