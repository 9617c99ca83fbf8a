#!/bin/sh
# Runs inside the VM (bench/vm-hooks-cost.sh): the cost of an unrelated
# syscall loop (opens, or connects, outside any sandbox) with nothing
# attached, with landtrace's hooks (compat, before 6.15), and with
# bpftrace's fexit one-liner on the same function. 3 runs of each, in
# turns. Writes /out/cost.txt: WHAT NS_PER_CALL.
cd /out
op=$(cat /op)
fn=$(cat /fn)
n=3000
mkfifo /tmp/ready
for _ in 1 2 3; do
    echo "nothing $(/bin/syscall-loop "$op" $n)" >>cost.txt
    landtrace -q --ready-fd 3 --source compat -e 'on deny_access_fs, deny_access_net { @ = count() }' \
        >lt.out 2>lt.err 3>/tmp/ready &
    lt=$!
    read -r _ </tmp/ready
    echo "landtrace $(/bin/syscall-loop "$op" $n)" >>cost.txt
    kill -INT $lt
    wait $lt
    bpftrace -e "kretfunc:$fn { @ = count(); }" >bt.out 2>bt.err &
    bt=$!
    i=0
    while [ $i -lt 900 ] && ! grep -q Attaching bt.out 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep 1
    echo "bpftrace $(/bin/syscall-loop "$op" $n)" >>cost.txt
    kill -INT $bt
    wait $bt
done
uname -r >>cost.txt
cat lt.err bt.err >>cost.txt
