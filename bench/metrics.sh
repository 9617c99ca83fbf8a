#!/usr/bin/env bash
# --metrics at scale: scrape latency with 10,000 series, RSS with 100,000
# keys, and the CPU cost of being scraped every second. landtrace replays a
# trace of N distinct keys from a pipe held open, so it keeps serving; the
# scrapes are curl's (median of 11 for the latency).
#
#   bench/metrics.sh [SECONDS_OF_SCRAPING]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
cargo build --release --quiet
bin=./target/release/landtrace
dir=${TMPDIR:-/tmp}/landtrace-metrics-bench
mkdir -p "$dir"
port=$((20000 + RANDOM % 20000))

trace() { # N: N denials, each of its own pid (one key each)
    python3 - "$1" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"type": "event", "v": 1, "event": "deny_access_fs", "source": "replay",
                      "time": 1000 + i, "pid": 1000 + i, "tid": 1000 + i, "ppid": 1, "uid": 0, "gid": 0,
                      "cpu": 0, "cgroup": 0, "comm": "worker", "domain": "1c1400008", "same_exec": True,
                      "logged": True, "blockers": ["READ_FILE"], "blockers_raw": 4, "dev": "254:0",
                      "ino": i, "path": "/etc/f%d" % i}, separators=(",", ":")))
PY
}

# Starts landtrace on N keys; sets $pid and waits until all are counted.
start() { # N PROGRAM
    trace "$1" >"$dir/trace.jsonl"
    mkfifo "$dir/fifo" 2>/dev/null || true
    "$bin" -q --metrics "127.0.0.1:$port" --max-keys 1000000 -e "$2" --replay "$dir/fifo" >/dev/null 2>&1 &
    pid=$!
    exec 9>"$dir/fifo"
    cat "$dir/trace.jsonl" >&9
    until curl -s "127.0.0.1:$port/metrics" | grep -q "events_delivered_total $1\$"; do sleep 0.2; done
}

stop() {
    exec 9>&-
    wait "$pid" || true
    rm -f "$dir/fifo"
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== 10,000 series"
start 10000 'on deny_access_fs { @d[comm, pid] = count() }'
for _ in $(seq 11); do
    curl -s -o "$dir/body" -w '%{time_total}\n' "127.0.0.1:$port/metrics"
done | median | awk '{printf "  scrape latency (median of 11): %.1f ms\n", $1 * 1000}'
echo "  exposition: $(wc -c <"$dir/body") bytes, $(grep -c '^landtrace_d' "$dir/body") series lines"
echo "  RSS: $(rss_kb "$pid") kB"
t0=$(cpu_ticks "$pid")
sleep "$secs"
t1=$(cpu_ticks "$pid")
for _ in $(seq "$secs"); do
    curl -s -o /dev/null "127.0.0.1:$port/metrics"
    sleep 1
done
t2=$(cpu_ticks "$pid")
hz=$(getconf CLK_TCK)
echo "  CPU idle for $secs s: $(( (t1 - t0) * 1000 / hz )) ms; scraped every second for $secs s: $(( (t2 - t1) * 1000 / hz )) ms" \
    "($(echo "($t2 - $t1) * 100 / $hz / $secs" | bc -l | xargs printf '%.2f')% of one CPU)"
stop

echo "== 100,000 keys"
start 100000 'on deny_access_fs { @d[comm, pid] = count() }'
echo "  RSS: $(rss_kb "$pid") kB"
curl -s -o "$dir/body" -w '  one scrape: %{time_total} s\n' "127.0.0.1:$port/metrics"
echo "  RSS after a scrape: $(rss_kb "$pid") kB"
stop
