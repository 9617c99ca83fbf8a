#!/usr/bin/env bash
# What landtrace's hooks (fexit on Landlock's own functions, before 6.15)
# cost a syscall outside any sandbox, against nothing attached and against
# bpftrace's fexit one-liner on the same function, inside the VM: medians
# of 5 runs each, as ratios (TCG makes the nanoseconds meaningless).
#
#   bench/vm-hooks-cost.sh [SUITE [open|connect]]   (default: bookworm open;
#                                                    trixie has no hook_file_open: use connect)
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-bookworm}
op=${2:-open}
fn=$([ "$op" = open ] && echo hook_file_open || echo hook_socket_connect)
command -v bpftrace >/dev/null || { echo "needs bpftrace (apt-get install bpftrace)" >&2; exit 1; }
cargo build --release --quiet -p landtrace -p sandboxer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -static -o "$work/syscall-loop" bench/syscall-loop.c
guest=$work/guest.sh
{ echo '#!/bin/sh'; echo "echo $op >/op; echo $fn >/fn"; tail -n +2 bench/vm-hooks-cost-guest.sh; } >"$guest"
LANDTRACE_VM_TIMEOUT=${LANDTRACE_VM_TIMEOUT:-1500} LANDTRACE_VM_EXTRA="$(command -v bpftrace) $work/syscall-loop" LANDTRACE_VM_GUEST="$guest" \
    vm/run.sh "$suite" "$work/vm" >/dev/null
results=$work/vm/guest/cost.txt
[ -s "$results" ] || { echo "no results (see $work/vm/console.log)" >&2; exit 1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v t="$1" '$1 == t && $2 ~ /^[0-9]+$/ { print $2 }' "$results" | median; }
none=$(col nothing) lt=$(col landtrace) bt=$(col bpftrace)
echo "in the VM ($suite, $op loop, $fn; TCG: read the ratios), ns per call, medians of 3:"
echo "nothing $none, landtrace hooks $lt, bpftrace kretfunc:$fn $bt"
echo "added cost: landtrace $((lt - none)) ns, bpftrace $((bt - none)) ns; landtrace / bpftrace: $(echo "scale=2; ($lt - $none) / ($bt - $none)" | bc -l)"
grep -v '^[a-z]* [0-9]*$' "$results" | head -5
