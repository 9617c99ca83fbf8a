#!/usr/bin/env bash
# Which of Landlock's own functions a kernel's BTF has, with their
# parameters: what a source on Landlock's hooks (fexit) can attach to on
# that kernel. Reads the vmlinuz vm/kernel.sh fetched (its zstd, lz4, gzip
# or xz payload, decompressed) with bpftool.
#
#   vm/btf-hooks.sh SUITE      e.g. bookworm, trixie, sid, experimental
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:?usage: vm/btf-hooks.sh SUITE}
kernel=$("$here/kernel.sh" "$suite")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$kernel" "$work/vmlinux" <<'PY'
import subprocess, sys
data = open(sys.argv[1], "rb").read()
for magic, cmd in [(b"\x28\xb5\x2f\xfd", ["zstd", "-dc"]), (b"\x02\x21\x4c\x18", ["lz4", "-dc"]),
                   (b"\x1f\x8b\x08\x00", ["gzip", "-dc"]), (b"\xfd7zXZ\x00", ["xz", "-dc"])]:
    i = data.find(magic)
    while i != -1:
        out = subprocess.run(cmd, input=data[i:], capture_output=True).stdout
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        i = data.find(magic, i + 1)
sys.exit("no compressed vmlinux found in " + sys.argv[1])
PY
bpftool btf dump file "$work/vmlinux" format raw >"$work/btf"
echo "# $(basename "$kernel")"
# FUNC 'name' type_id=N, then the FUNC_PROTO [N] and its parameter lines.
awk '
    /^\[[0-9]+\] FUNC_PROTO / { id = $1; proto[id] = ""; cur = id; next }
    /^\t/ && cur != "" { split($0, p, "\x27"); proto[cur] = proto[cur] (proto[cur] == "" ? "" : ", ") p[2]; next }
    { cur = "" }
    /^\[[0-9]+\] FUNC \x27(hook_[a-z_]+|is_access_to_paths_allowed|check_access_path|current_check_access_path|current_check_access_socket|landlock_log_denial|landlock_unmask_layers)\x27/ {
        split($0, n, "\x27"); match($0, /type_id=[0-9]+/); want[n[2]] = "[" substr($0, RSTART + 8, RLENGTH - 8) "]"
    }
    END { for (f in want) printf "%s(%s)\n", f, proto[want[f]] }
' "$work/btf" | sort
