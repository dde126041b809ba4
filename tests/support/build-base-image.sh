#!/usr/bin/env bash
# Build the Debian + python3 + pip base image that pindrift's Docker tests start from.
#
# Nothing can be pulled from a registry here, so the root file system is made from Debian
# packages with debootstrap and `docker import`ed. The result is cached by tag: when the tag
# exists, this script does nothing. Concurrent callers are serialized with flock.
#
# Usage: tests/support/build-base-image.sh [TAG]        (default pindrift-test/debian-python:1)
# Env:   PINDRIFT_DEBIAN_MIRROR  mirror URL (default: the first Debian mirror in /etc/apt/sources.list*)
#        PINDRIFT_DEBIAN_SUITE   suite (default bookworm)
set -euo pipefail

TAG="${1:-pindrift-test/debian-python:1}"
SUITE="${PINDRIFT_DEBIAN_SUITE:-bookworm}"

if docker image inspect "$TAG" >/dev/null 2>&1; then
    exit 0
fi

LOCK="${TMPDIR:-/tmp}/pindrift-base-image.lock"
exec 9>"$LOCK"
flock 9
# Someone else may have built it while we waited for the lock.
if docker image inspect "$TAG" >/dev/null 2>&1; then
    exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    # A fresh machine: install it from Debian's packages when we may (root with apt-get).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "build-base-image: installing debootstrap with apt-get" >&2
        { apt-get install -y -q debootstrap || { apt-get update -q && apt-get install -y -q debootstrap; }; } >&2
    fi
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "build-base-image: debootstrap is missing; install it (apt-get install -y debootstrap)" >&2
    exit 1
fi

mirror="${PINDRIFT_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    # deb822 files: "URIs: http://..."; one-line files: "deb http://... bookworm main".
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -Eo '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+' \
        | grep -Eo '[a-z]+://[^[:space:]]+' \
        | grep -E '/debian/?$' | head -n1 || true)"
fi
if [ -z "$mirror" ]; then
    echo "build-base-image: no Debian mirror found in /etc/apt/sources.list*; set PINDRIFT_DEBIAN_MIRROR" >&2
    exit 1
fi

root="$(mktemp -d "${TMPDIR:-/tmp}/pindrift-rootfs.XXXXXX")"
cleanup() { rm -rf "$root"; }
trap cleanup EXIT

echo "build-base-image: debootstrap $SUITE from $mirror (first run takes a few minutes)" >&2
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv \
    "$SUITE" "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -n 30 "$root.log" >&2
    rm -f "$root.log"
    exit 1
}
rm -f "$root.log"

# Tests install wheels with plain `pip install`; PEP 668's marker would refuse that.
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
# Keep the image small: package caches and docs are not needed.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*

tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$TAG" >/dev/null
echo "build-base-image: built $TAG" >&2
