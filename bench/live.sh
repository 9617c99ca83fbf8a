#!/usr/bin/env bash
# Live-tracing numbers (root): start-up, per-call overhead and throughput.
#
#   bench/live.sh
#
# 1. Start-up: wall time and peak RSS from launch until probes are attached
#    and landtrace exits (`-c true`), next to bpftrace running an equivalent
#    syscall-tracepoint one-liner (if bpftrace is installed).
# 2. Overhead: a landlock_create_ruleset + close loop, without and with
#    landtrace attached (per call), and what it costs an unrelated syscall
#    (getppid) elsewhere on the system, next to bpftrace.
# 3. Throughput: the same loop with landtrace counting events: events per
#    second delivered without loss (the loss counter must stay 0).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
cargo build --release --quiet
bin=./target/release/landtrace
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/loop" bench/ruleset-loop.c
measure() { # label, command...
    local label=$1; shift
    local best_t=999 best_m=0
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1 || true
        read -r t m < <(tail -n 1 "$work/time")
        if [ "$(echo "$t < $best_t" | bc -l)" = 1 ]; then best_t=$t; best_m=$m; fi
    done
    printf '%-48s %6.0f ms  %6.1f MiB peak RSS\n' "$label" "$(echo "$best_t * 1000" | bc -l)" "$(echo "$best_m / 1024" | bc -l)"
}
echo "== start-up (best of 5)"
measure "landtrace -c true (compat + audit)" "$bin" -e 'on create_ruleset { @ = count() }' -c true
measure "landtrace --source compat -c true" "$bin" --source compat -e 'on create_ruleset { @ = count() }' -c true
measure "landtrace --source audit -c true" "$bin" --source audit -e 'on deny_* { @ = count() }' -c true
if command -v bpftrace >/dev/null; then
    measure "bpftrace (same tracepoint, -c /bin/true)" bpftrace -e 'tracepoint:syscalls:sys_exit_landlock_create_ruleset { @ = count(); }' -c /bin/true
fi

n=${N:-200000}
echo "== overhead ($n create_ruleset + close calls)"
echo -n "without landtrace:  "; "$work/loop" "$n"
"$bin" --source compat --ready-fd 3 -e 'on create_ruleset { @ = count() }' 3>"$work/ready" >"$work/out" 2>"$work/err" &
pid=$!
while [ ! -s "$work/ready" ]; do sleep 0.05; done
echo -n "with landtrace:     "; "$work/loop" "$n"
echo -n "unrelated syscall:  "; "$work/loop" 2000000 getppid
kill -INT "$pid"; wait "$pid" || true
echo "landtrace counted: $(grep -o '[0-9]*$' "$work/out" || echo 0) events; $(grep -i lost "$work/err" || echo 'no loss reported')"
echo -n "unrelated syscall, nothing attached:  "; "$work/loop" 2000000 getppid
if command -v bpftrace >/dev/null; then
    bpftrace -e 'tracepoint:syscalls:sys_exit_landlock_create_ruleset { @ = count(); }' >/dev/null 2>&1 &
    bt=$!
    sleep 3
    echo -n "unrelated syscall, bpftrace attached: "; "$work/loop" 2000000 getppid
    kill -INT "$bt"; wait "$bt" || true
fi

echo "== throughput (events/s landtrace keeps up with, no loss)"
for n in 100000 1000000; do
    "$bin" --source compat --ready-fd 3 -e 'on create_ruleset { @ = count() }' 3>"$work/ready2" >"$work/out2" 2>"$work/err2" &
    pid=$!
    while [ ! -s "$work/ready2" ]; do sleep 0.05; done
    line=$("$work/loop" "$n")
    sleep 0.5
    kill -INT "$pid"; wait "$pid" || true
    got=$(grep -o '[0-9]*$' "$work/out2" || echo 0)
    echo "$line; landtrace counted $got of $n; $(grep -i lost "$work/err2" || echo 'no loss reported')"
    rm -f "$work/ready2"
done
