#!/usr/bin/env bash
# Make sure Debian's `docker-registry` (the CNCF distribution registry) is installed, for the
# tests that push images to a registry of their own on 127.0.0.1.
#
# Nothing can be pulled from Docker Hub here, so the registry is the Debian package, run as a
# plain process (never as the system service). Concurrent callers are serialized with flock.
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1; then
    exit 0
fi
LOCK="${TMPDIR:-/tmp}/pindrift-registry-install.lock"
exec 9>"$LOCK"
flock 9
if command -v docker-registry >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-registry: installing docker-registry with apt-get" >&2
    {
        apt-get install -y -q -o DPkg::Lock::Timeout=300 docker-registry ||
            { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=300 docker-registry; }
    } >&2
fi
if ! command -v docker-registry >/dev/null 2>&1; then
    echo "install-registry: docker-registry is missing; install it (apt-get install -y docker-registry)" >&2
    exit 1
fi
