#!/usr/bin/env bash
# Start-up to attached and peak memory of landtrace and bpftrace inside the
# VM on one kernel of the matrix (default: experimental, 7.3, the kernel
# with the Landlock tracepoints): medians of 7 runs each, and their ratios.
# The guest is TCG-emulated, several times slower than the host: read the
# ratios, not the milliseconds.
#
#   bench/vm-startup.sh [SUITE]
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-experimental}
command -v bpftrace >/dev/null || { echo "needs bpftrace (apt-get install bpftrace)" >&2; exit 1; }
cargo build --release --quiet -p landtrace -p sandboxer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -static -o "$work/stamp" bench/stamp.c
LANDTRACE_VM_EXTRA="$(command -v bpftrace) $work/stamp" LANDTRACE_VM_GUEST=bench/vm-startup-guest.sh \
    vm/run.sh "$suite" "$work/vm" >/dev/null
results=$work/vm/guest/startup.txt
[ -s "$results" ] || { echo "no results (see $work/vm/console.log)" >&2; cat "$work/vm/guest/tests.log" >&2; exit 1; }
if grep -q failed "$results"; then
    grep failed "$results" >&2
    exit 1
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$results" | median; }
lt_ms=$(col landtrace 2) bt_ms=$(col bpftrace 2) lt_kib=$(col landtrace 3) bt_kib=$(col bpftrace 3)
echo "in the VM, Linux $(tail -1 "$results") (TCG), medians of 7:"
printf 'start-up to attached: landtrace %5d ms, bpftrace %5d ms: %sx faster\n' "$lt_ms" "$bt_ms" \
    "$(echo "scale=1; $bt_ms / $lt_ms" | bc -l)"
printf 'peak memory:          landtrace %5.1f MiB, bpftrace %5.1f MiB: %sx less\n' \
    "$(echo "$lt_kib / 1024" | bc -l)" "$(echo "$bt_kib / 1024" | bc -l)" "$(echo "scale=1; $bt_kib / $lt_kib" | bc -l)"
