#!/usr/bin/env bash
# Boots one Debian cloud kernel under QEMU (TCG) with a busybox initramfs
# holding landtrace, the sandboxer and bpftool, runs vm/guest/tests.sh
# inside, and unpacks what it wrote into OUTDIR (plus OUTDIR/console.log,
# the guest's console).
#
#   vm/run.sh SUITE OUTDIR
#
# LANDTRACE_BIN and SANDBOXER_BIN name the binaries to test (default:
# target/release/{landtrace,sandboxer}); LANDTRACE_VM_EXTRA names more
# binaries to include (with their libraries) and LANDTRACE_VM_GUEST another
# guest script to run instead of vm/guest/tests.sh (bench/vm-startup.sh). docs/testing.md describes the
# matrix; tests/kernels.rs runs it and checks what each kernel yields.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:?usage: vm/run.sh SUITE OUTDIR}
out=${2:?usage: vm/run.sh SUITE OUTDIR}
landtrace=${LANDTRACE_BIN:-$here/../target/release/landtrace}
sandboxer=${SANDBOXER_BIN:-$here/../target/release/sandboxer}

need() { command -v "$1" >/dev/null || { echo "vm/run.sh: $1 is missing (apt-get install $2)" >&2; exit 1; }; }
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
need bpftool bpftool
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx stty ||
    { echo "vm/run.sh: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
for b in "$landtrace" "$sandboxer"; do
    [ -x "$b" ] || { echo "vm/run.sh: $b is missing (cargo build --release -p landtrace -p sandboxer)" >&2; exit 1; }
done

kernel=$("$here/kernel.sh" "$suite")
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# The initramfs: busybox, the binaries (without debug info) and the shared
# libraries they load, the guest scripts.
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,out,lib64,usr/lib,usr/bin}
cp /bin/busybox "$root/bin/busybox"
# shellcheck disable=SC2086 # LANDTRACE_VM_EXTRA is a list of paths
for b in "$landtrace" "$sandboxer" "$(command -v bpftool)" ${LANDTRACE_VM_EXTRA:-}; do
    objcopy --strip-debug "$b" "$root/bin/$(basename "$b")"
    # (A static binary has none: ldd fails.)
    { ldd "$b" 2>/dev/null || true; } | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
        [ -e "$lib" ] || continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
done
# /lib is a symlink to /usr/lib on Debian: keep both spellings working.
if [ -d "$root/lib" ] && [ ! -L "$root/lib" ]; then
    cp -a "$root/lib/." "$root/usr/lib/" && rm -rf "$root/lib"
fi
ln -s usr/lib "$root/lib"
cp "$here/guest/init" "$root/init"
cp "${LANDTRACE_VM_GUEST:-$here/guest/tests.sh}" "$root/tests.sh"
chmod +x "$root/init" "$root/tests.sh"
echo landtrace-vm >"$root/etc/hostname"
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"

# Console on the first serial port, results (a tar stream) on the second.
start=$(date +%s)
timeout "${LANDTRACE_VM_TIMEOUT:-600}" qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp 1 -m 2048 \
    -kernel "$kernel" -initrd "$out/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 lsm=landlock,lockdown,yama,bpf quiet" \
    -display none -monitor none -no-reboot \
    -serial "file:$out/console.log" -serial "file:$out/results.tar" || {
    echo "vm/run.sh: $suite: qemu failed or timed out (see $out/console.log)" >&2
}
echo "$(($(date +%s) - start))" >"$out/seconds"
rm -f "$out/initramfs.cpio"
mkdir -p "$out/guest"
if ! tar -x -f "$out/results.tar" -C "$out/guest" 2>"$out/tar.err"; then
    echo "vm/run.sh: $suite: no readable results (see $out/console.log, $out/tar.err)" >&2
    exit 1
fi
echo "vm/run.sh: $suite ($(basename "$kernel")): $(cat "$out/seconds") s, results in $out/guest"
