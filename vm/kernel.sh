#!/usr/bin/env bash
# Fetches the newest Debian cloud kernel of a suite and prints the path of
# its vmlinuz. The mirror is the one this machine's apt already uses (read
# from /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list); only the
# suite changes. Packages are verified by apt against the machine's Debian
# archive keyring and cached, with their vmlinuz, under $LANDTRACE_VM_CACHE
# (default /var/cache/landtrace-vm).
#
#   vm/kernel.sh SUITE     e.g. bookworm, trixie, sid, experimental
set -euo pipefail
suite=${1:?usage: vm/kernel.sh SUITE}
cache=${LANDTRACE_VM_CACHE:-/var/cache/landtrace-vm}

mirror() {
    local uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$f")
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ] && [ -e /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || { echo "vm/kernel.sh: no Debian mirror found in /etc/apt" >&2; exit 1; }
    echo "$uri"
}

dir=$cache/$suite
mkdir -p "$dir/apt/lists/partial" "$dir/apt/archives/partial" "$dir/apt/sources"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
{
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$(mirror)" "$suite" "$keyring"
} >"$dir/apt/sources/kernel.sources"
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/apt/sources"
          -o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt" -o Dir::Cache::archives="$dir/apt/archives"
          -o Dir::State::status=/dev/null -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)

# A day-old package list is fresh enough; a failed update with a cached
# kernel still boots that kernel.
stamp=$dir/apt/updated
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
    if apt-get "${apt_opts[@]}" update >"$dir/apt/update.log" 2>&1; then
        touch "$stamp"
    elif ! ls "$dir"/vmlinuz-* >/dev/null 2>&1; then
        cat "$dir/apt/update.log" >&2
        echo "vm/kernel.sh: apt-get update for $suite failed" >&2
        exit 1
    fi
fi

# The meta-package names the suite's current cloud kernel, perhaps through
# another meta-package (experimental's linux-image-7.3-cloud-amd64).
pkg=linux-image-cloud-amd64
for _ in 1 2 3; do
    next=$(apt-cache "${apt_opts[@]}" depends "$pkg" 2>/dev/null |
           awk '/^  Depends: linux-image-/ { print $2; exit }')
    [ -n "$next" ] || break
    pkg=$next
done
[ "$pkg" = linux-image-cloud-amd64 ] && pkg=""
if [ -z "$pkg" ]; then
    ls -t "$dir"/vmlinuz-* 2>/dev/null | head -n 1 && exit 0
    echo "vm/kernel.sh: no linux-image-cloud-amd64 in $suite" >&2
    exit 1
fi
release=${pkg#linux-image-}
release=${release%-unsigned}
if [ ! -s "$dir/vmlinuz-$release" ]; then
    # Newer packaging moves the image into linux-binary-RELEASE.
    binary=$(apt-cache "${apt_opts[@]}" depends "$pkg" 2>/dev/null |
             awk '/^  Depends: linux-binary-/ { print $2; exit }')
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    for p in $binary $pkg; do
        (cd "$tmp" && apt-get "${apt_opts[@]}" download "$p" >&2)
        deb=$(ls "$tmp"/*.deb)
        # /boot/vmlinuz-RELEASE, or /usr/lib/modules/RELEASE/vmlinuz.
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' './usr/lib/modules/*/vmlinuz' 2>/dev/null || true
        image=$(find "$tmp" -name 'vmlinuz*' -type f | head -n 1)
        if [ -n "$image" ]; then
            mv "$image" "$dir/vmlinuz-$release"
            break
        fi
        rm -f "$deb"
    done
    [ -s "$dir/vmlinuz-$release" ] || { echo "vm/kernel.sh: no vmlinuz in $pkg" >&2; exit 1; }
fi
echo "$dir/vmlinuz-$release"
