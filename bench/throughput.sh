#!/usr/bin/env bash
# Replay throughput of the release binary, side by side on the same files:
# JSON lines, ftrace text and audit logs through a program with keyed maps
# and a filter, and every event printed as text to /dev/null. Median of 7
# runs each, in MB/s and records (lines) per second of wall time, and per
# second of CPU time (user + system: what a shared machine's stolen time
# does not inflate).
#
#   bench/throughput.sh [N] [OTHER_BINARY]
#
# With OTHER_BINARY (an older landtrace), it is measured on the same files,
# its runs interleaved with this one's, and the ratio printed.
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

seconds() { # BINARY FILE PROGRAM...: one run's wall time and CPU time (user + system)
    local bin=$1 file=$2
    shift 2
    /usr/bin/time -f '%e %U %S' -o "$dir/time" "$bin" "$@" --replay "$file" >/dev/null 2>&1 || true
    awk '{printf "%s %.3f\n", $1, $2 + $3}' "$dir/time"
}

# One case, every binary in turn within each of 7 rounds (so a slower
# spell of a shared machine falls on both alike), then each one's median.
case_times() { # FILE PROGRAM...: prints one median per binary
    local file=$1 r b
    shift
    for r in 1 2 3 4 5 6 7; do
        for b in "${bins[@]}"; do
            echo "$b $(seconds "$b" "$file" "$@")"
        done
    done >"$dir/times"
    for b in "${bins[@]}"; do
        echo "$(awk -v b="$b" '$1 == b {print $2}' "$dir/times" | median)" \
            "$(awk -v b="$b" '$1 == b {print $3}' "$dir/times" | median)"
    done
}

bins=(./target/release/landtrace)
[ -n "$other" ] && bins+=("$other")
labels=("this landtrace" "other ($other)")

row() { # LABEL FILE WALL CPU UNIT
    local bytes lines
    bytes=$(stat -c %s "$2")
    lines=$(wc -l <"$2")
    printf '  %-22s %6.3f s  %7.1f MB/s  %9.0f %s/s   (CPU %.3f s: %9.0f/s)\n' "$1" "$3" \
        "$(echo "$bytes / $3 / 1000000" | bc -l)" "$(echo "$lines / $3" | bc -l)" "$5" \
        "$4" "$(echo "$lines / $4" | bc -l)"
}

report() { # TITLE FILE UNIT PROGRAM...
    local title=$1 file=$2 unit=$3 i=0 t
    shift 3
    echo "== $title"
    mapfile -t times < <(case_times "$file" "$@")
    for t in "${times[@]}"; do
        # shellcheck disable=SC2086 # wall and CPU time, two words
        row "${labels[$i]}" "$file" $t "$unit"
        i=$((i + 1))
    done
    if [ "${#times[@]}" -eq 2 ]; then
        read -r w0 c0 <<<"${times[0]}"
        read -r w1 c1 <<<"${times[1]}"
        printf '  ratio %.2fx (CPU time %.2fx)\n' "$(echo "$w1 / $w0" | bc -l)" "$(echo "$c1 / $c0" | bc -l)"
    fi
}

report "events.jsonl, maps" "$dir/events.jsonl" lines "$prog"
report "events.ftrace, maps" "$dir/events.ftrace" lines "$prog"
report "events.audit, maps" "$dir/events.audit" records "$prog"
report "events.jsonl, every event printed as text to /dev/null" "$dir/events.jsonl" events -e 'on *'
