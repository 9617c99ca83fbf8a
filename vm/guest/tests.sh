#!/bin/sh
# Runs inside the test VM (vm/run.sh), in /out: traces the sandboxer's
# known actions with each live source and keeps what landtrace wrote, for
# tests/kernels.rs to check on the host. Nothing here decides pass or fail.
set -u
# step NAME CMD...: runs CMD, keeping its stdout, stderr and exit status.
step() {
    name=$1
    shift
    "$@" >"$name.out" 2>"$name.err"
    echo $? >"$name.rc"
}

uname -r >uname
cat /proc/cmdline >cmdline
cat /sys/kernel/security/lsm >lsm 2>/dev/null
step info landtrace --info

# A file Landlock allows (under /bin) but its mode bits do not, once the
# sandboxer runs as nobody: its EACCES is not a Landlock denial. The read of
# /etc/hostname after it is: a denial after a drop of privileges is seen.
printf 'x' >/bin/secret
chmod 600 /bin/secret
# The initramfs's root is the 0700 directory it was packed from: let
# nobody through it, as on a real system.
chmod 755 /
# A file name an attacker could choose: newline, ESC, space, '=', quotes.
evil=$(printf '/tmp/evil\nname\033[31m = "q'"'"'x')
printf 'x' >"$evil"
# The workload (its output on stderr, apart from landtrace's): a child of
# the traced shell, in two nested layers, denied
# a file read, a creation, a bind and connect, a signal and an abstract
# unix socket, reading under a rule (the kernel checks both layers), and a
# ruleset closed without restricting anything.
cat >/workload.sh <<'SCRIPT'
#!/bin/sh
sandboxer --layers 2 --listen-abstract demo read /etc/hostname write /etc/x bind 9000 connect 80 signal 1 abstract demo read /bin/busybox read "$(cat /tmp/evil-name)" unused-ruleset drop-privileges 65534 read /bin/secret read /etc/hostname >&2
echo "workload: sandboxer exited with $?" >&2
SCRIPT
printf '%s' "$evil" >/tmp/evil-name
chmod +x /workload.sh

for source in auto compat audit tracepoint; do
    step "record-$source" landtrace record --source "$source" -o "record-$source.jsonl" -c /workload.sh
done
# A daemon started before landtrace: it sandboxes itself, forks, waits,
# drops to nobody and is denied a file creation; landtrace, started after
# it, attaches with -p and follows it until it exits.
sandboxer --layers 1 sleep 8000 drop-privileges 65534 write /etc/daemon-x >/dev/null 2>&1 &
daemon=$!
step attach-pid landtrace -e 'on deny_access_fs { printf("%s %d %s %r\n", comm, uid, path, blockers) }' -p $daemon

# --strict: an event or field the chosen sources cannot provide is an error.
step strict-auto landtrace --strict -e 'on deny_access_fs { @[path] = count() }' -c /workload.sh
step text-auto landtrace -e 'on deny_access_fs { printf("%s %s\n", comm, path) }' -c /workload.sh

# The kernel's own view, where it has the Landlock tracepoints: the format
# files, and the same workload captured by ftrace.
tracing=/sys/kernel/tracing
if [ -d "$tracing/events/landlock" ]; then
    mkdir -p formats
    for e in "$tracing"/events/landlock/*/; do
        n=$(basename "$e")
        cp "$e/format" "formats/$n" 2>/dev/null
    done
    echo 1 >"$tracing/events/landlock/enable"
    echo >"$tracing/trace"
    /workload.sh >ftrace-workload.out 2>&1
    sleep 1 # a kworker frees the domains just after the exit
    echo 0 >"$tracing/events/landlock/enable"
    cat "$tracing/trace" >ftrace.txt

    # Filters in the kernel: a sandboxer reading under a rule makes
    # thousands of check_rule_fs; the probes drop what no clause wants
    # before copying it. Each tracer runs system-wide while sandboxers
    # flood (started once it is attached), and SIGINT ends it like Ctrl-C.
    mkfifo /tmp/ready
    flood() {
        sandboxer --layers 1 sleep "$1" flood 2000 /bin/busybox >/dev/null 2>&1
    }
    # tracer NAME ARGS...: starts landtrace and returns once it is attached.
    tracer() {
        name=$1
        shift
        landtrace --ready-fd 3 --source tracepoint "$@" >"$name.out" 2>"$name.err" 3>/tmp/ready &
        t=$!
        read -r _ </tmp/ready
    }
    stop() {
        sleep 1
        kill -INT $t
        wait $t
        echo $? >"$1.rc"
    }
    tracer pushdown-none -f json -e 'on check_rule_fs where comm == "nothing-matches" { @ = count() }'
    flood 0
    stop pushdown-none
    tracer pushdown-all -f json -e 'on check_rule_fs { @ = count() }'
    flood 0
    stop pushdown-all
    # One domain of two: learn the first sandboxer's, start a second, then
    # trace only the first's.
    tracer pushdown-domain-id -e 'on create_domain { printf("%x\n", domain); exit() }'
    flood 10000 &
    a=$!
    wait $t
    flood 10000 &
    b=$!
    d=$(head -n 1 pushdown-domain-id.out)
    tracer pushdown-domain -f json -e "on check_rule_fs where domain == 0x$d { @[domain] = count() }"
    wait $a
    wait $b
    stop pushdown-domain
fi

# Nothing of landtrace's left in the kernel (which frees programs shortly
# after their last descriptor closes: allow it 5 s).
i=0
while [ $i -lt 50 ] && bpftool prog show | grep -q ' name lt_'; do
    sleep 0.1
    i=$((i + 1))
done
bpftool -j prog show >bpf-progs.json 2>&1
bpftool -j map show >bpf-maps.json 2>&1
bpftool -j link show >bpf-links.json 2>&1
exit 0
