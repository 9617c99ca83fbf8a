#!/usr/bin/env bash
# Builds the BPF objects in prebuilt/ from bpf/*.bpf.c with clang, and
# records the sources' hashes in prebuilt/SOURCES so a stale object is
# noticed (probes/tests/prebuilt.rs checks it; with --check, this script
# also rebuilds and compares byte for byte, as CI does).
#
#   probes/build.sh          rebuild the objects
#   probes/build.sh --check  fail if a committed object is stale
set -euo pipefail
cd "$(dirname "$0")"
clang=${CLANG:-clang}
arch_include=/usr/include/$(uname -m)-linux-gnu
flags=(-O2 -g -target bpf -D__TARGET_ARCH_x86 -I bpf -I "$arch_include"
       -fdebug-prefix-map="$PWD"=. -Wall -Werror)
out=prebuilt
if [ "${1:-}" = "--check" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
for src in bpf/*.bpf.c; do
    name=$(basename "$src" .c)
    "$clang" "${flags[@]}" -c "$src" -o "$out/$name.o"
done
sources() { sha256sum bpf/*.c bpf/*.h | sed 's|  bpf/|  |'; }
if [ "${1:-}" = "--check" ]; then
    sources | diff -u prebuilt/SOURCES - || { echo "prebuilt/SOURCES is stale: run probes/build.sh" >&2; exit 1; }
    for obj in "$out"/*.o; do
        cmp "$obj" "prebuilt/$(basename "$obj")" || { echo "prebuilt/$(basename "$obj") is stale: run probes/build.sh" >&2; exit 1; }
    done
    echo "prebuilt objects match their sources"
else
    sources > prebuilt/SOURCES
    ls -l prebuilt
fi
