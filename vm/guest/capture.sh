#!/bin/sh
# Runs inside the VM instead of tests.sh (LANDTRACE_VM_GUEST=vm/guest/capture.sh
# vm/run.sh experimental DIR): captures the sandboxer's workload in every
# layout the kernel and its tools write, for the replay fixtures in
# runtime/tests/data/captured/ (docs/testing.md). Nothing here is
# written by hand: each file is what the kernel or the tool printed.
#   ftrace-<option>.txt   tracefs `trace` with one option or clock changed
#   ftrace-pipe.txt       tracefs `trace_pipe` during the workload
#   trace-cmd-report.txt  `trace-cmd record` + `trace-cmd report`
#   perf-script.txt       `perf record` + `perf script`
#   dmesg.txt, dmesg-raw.txt  the kernel log with Landlock's audit records
#                          (audit on, no audit daemon: the kernel prints them)
set -u
uname -r >uname
tracing=/sys/kernel/tracing

# A file name an attacker could choose, as in tests.sh.
evil=$(printf '/tmp/evil\nname\033[31m = "q'"'"'x')
printf 'x' >"$evil"
printf '%s' "$evil" >/tmp/evil-name
cat >/workload.sh <<'SCRIPT'
#!/bin/sh
sandboxer --layers 2 --listen-abstract demo read /etc/hostname write /etc/x bind 9000 connect 80 signal 1 abstract demo read /bin/busybox read "$(cat /tmp/evil-name)" unused-ruleset >&2
echo "workload: sandboxer exited with $?" >&2
SCRIPT
chmod +x /workload.sh

[ -d "$tracing/events/landlock" ] || { echo "no landlock tracepoints" >&2; exit 1; }
# check_rule_* fire once per layer and rule checked: keep them, they are
# part of what people capture.
capture() {
    name=$1
    echo >"$tracing/trace"
    echo 1 >"$tracing/events/landlock/enable"
    /workload.sh >/dev/null 2>&1
    sleep 1 # a kworker frees the domains just after the exit
    echo 0 >"$tracing/events/landlock/enable"
    cat "$tracing/trace" >"ftrace-$name.txt"
}
capture default
echo 1 >"$tracing/options/record-tgid"
capture record-tgid
echo 0 >"$tracing/options/record-tgid"
echo 0 >"$tracing/options/irq-info"
capture no-irq-info
echo 1 >"$tracing/options/irq-info"
cat "$tracing/trace_clock" >trace_clocks
for clock in $(tr -d '[]' <"$tracing/trace_clock"); do
    echo "$clock" >"$tracing/trace_clock" 2>/dev/null || continue
    capture "clock-$clock"
done
echo local >"$tracing/trace_clock"
# Both at once: the TGID column and an integer clock.
echo 1 >"$tracing/options/record-tgid"
echo counter >"$tracing/trace_clock"
capture record-tgid-counter
echo 0 >"$tracing/options/record-tgid"
echo local >"$tracing/trace_clock"

# trace_pipe: read while the workload runs.
echo >"$tracing/trace"
cat "$tracing/trace_pipe" >ftrace-pipe.txt &
reader=$!
echo 1 >"$tracing/events/landlock/enable"
/workload.sh >/dev/null 2>&1
sleep 1
echo 0 >"$tracing/events/landlock/enable"
sleep 1
kill $reader

if command -v trace-cmd >/dev/null; then
    trace-cmd record -q -e landlock -o /tmp/trace.dat /workload.sh >trace-cmd-record.log 2>&1
    trace-cmd report -i /tmp/trace.dat >trace-cmd-report.txt 2>trace-cmd-report.err
fi
perf=$(command -v perf || ls /bin/perf_* 2>/dev/null | head -n 1)
if [ -n "$perf" ]; then
    "$perf" record -q -e 'landlock:*' -a -o /tmp/perf.data -- /workload.sh >perf-record.log 2>&1
    "$perf" script -i /tmp/perf.data >perf-script.txt 2>perf-script.err
fi

# The kernel log: landtrace's audit source turns audit on without
# registering as the audit daemon, so the kernel also prints each record.
# printk's rate limit (10 lines per 5 s) would drop most of them, after
# the BPF program records of landtrace's start.
echo 0 >/proc/sys/kernel/printk_ratelimit
dmesg -c >/dev/null
landtrace record --source audit -o /dev/null -c /workload.sh >/dev/null 2>record-audit.err
sleep 1
dmesg >dmesg.txt
dmesg -r >dmesg-raw.txt
exit 0
