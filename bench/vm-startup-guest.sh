#!/bin/sh
# Runs inside the VM (bench/vm-startup.sh): start-up to attached and peak
# memory of landtrace and bpftrace on the same Landlock syscall tracepoint,
# 7 runs each. Writes /out/startup.txt, one line per run:
#   TOOL MS_TO_ATTACHED PEAK_KIB
cd /out
run() { # TOOL ARGS...: one measurement
    tool=$1
    shift
    t0=$(/bin/stamp)
    busybox time -v -o time.txt "$@" -c /bin/stamp >cmd.out 2>cmd.err
    t1=$(grep -E '^[0-9]{10,}$' cmd.out | tail -1)
    kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt)
    if [ -n "$t1" ]; then
        echo "$tool $(((t1 - t0) / 1000000)) $kib" >>startup.txt
    else
        echo "$tool failed: $(head -c 300 cmd.err)" >>startup.txt
    fi
}
for _ in 1 2 3 4 5 6 7; do
    run landtrace landtrace -q -e 'on create_ruleset { @ = count() }'
    run bpftrace bpftrace -e 'tracepoint:syscalls:sys_exit_landlock_create_ruleset { @ = count(); }'
done
uname -r >>startup.txt
