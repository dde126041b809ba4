#!/usr/bin/env bash
# Fleet benchmark (issue 13): `pindrift drift --replicas LABEL` over 20 containers of one
# image on two engines (this host's and a second dockerd started here, 10 each), against
# reading one container the same way, and one container of a cached image against
# `docker exec C python3 -m pip freeze --all`. Median of RUNS whole-process runs, image cache
# warm (the image is read once before timing) and cold. Cleans up everything it made.
#
# Usage: bench/fleet.sh [RUNS]     (PINDRIFT=path/to/binary, default target/release/pindrift)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
BIN="${PINDRIFT:-${CARGO_TARGET_DIR:-target}/release/pindrift}"
BASE=pindrift-test/debian-python:1
TAG="pindrift-bench-fleet:$$"
LABEL="pindrift.bench=fleet$$"
ONE_LABEL="pindrift.bench=one$$"
BRIDGE="pdbench$$"
bash tests/support/build-base-image.sh "$BASE"
[ -x "$BIN" ] || cargo build -q --release
work="$(mktemp -d /tmp/pindrift-fleet.XXXXXX)"
B="unix://$work/docker.sock"
dockerd_pid=""
cleanup() {
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker ps -aq --filter "label=$ONE_LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker -H "$B" ps -aq 2>/dev/null | xargs -r docker -H "$B" rm -f >/dev/null 2>&1 || true
    docker rmi -f "$TAG" >/dev/null 2>&1 || true
    if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi
    ip link del "$BRIDGE" 2>/dev/null || true
    umount -R "$work/data" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The image: the base plus 300 fabricated distributions (as bench/drift.sh).
python3 - "$work/ctx/pkgs" <<'PY'
import os, sys
base = sys.argv[1]
for i in range(300):
    name, ver = f"fakepkg{i:03d}", f"1.{i % 7}.{i % 13}"
    d = f"{base}/{name}-{ver}.dist-info"
    os.makedirs(d)
    open(f"{d}/METADATA", "w").write(f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n\n")
    open(f"{d}/RECORD", "w").write(f"{name}/__init__.py,,\n")
    os.makedirs(f"{base}/{name}")
    open(f"{base}/{name}/__init__.py", "w").write("X = 1\n")
PY
printf 'FROM %s\nCOPY pkgs/ /usr/local/lib/python3.11/dist-packages/\n' "$BASE" > "$work/ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" "$work/ctx" >/dev/null

# The second engine: its own data root, exec root, socket and bridge.
ip link add name "$BRIDGE" type bridge
ip addr add 10.214.77.1/24 dev "$BRIDGE"
ip link set "$BRIDGE" up
echo '{}' > "$work/daemon.json"
dockerd --bridge "$BRIDGE" --iptables=false --ip6tables=false --ip-masq=false \
    --storage-driver "$(docker info --format '{{.Driver}}')" --data-root "$work/data" \
    --exec-root "$work/exec" --pidfile "$work/docker.pid" --config-file "$work/daemon.json" \
    --host "$B" > "$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 60); do docker -H "$B" info >/dev/null 2>&1 && break; sleep 1; done
docker save "$TAG" | docker -H "$B" load -q >/dev/null
sleep 1.1 # containers created in a later second than the image's folders (see docs/drift.md)
for i in $(seq 10); do
    docker run -d --network none --label "$LABEL" --name "pd-fleet-a$i-$$" "$TAG" sleep 3600 >/dev/null
    docker -H "$B" run -d --network none --label "$LABEL" --name "pd-fleet-b$i-$$" "$TAG" sleep 3600 >/dev/null
done
one="pd-fleet-a1-$$"
docker run -d --network none --label "$ONE_LABEL" --name "pd-fleet-one-$$" "$TAG" sleep 3600 >/dev/null
: > "$work/empty.txt"
export PINDRIFT_CACHE_DIR="$work/cache"
A="unix:///var/run/docker.sock"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
time_runs() {
    local prep="$1"; shift
    for _ in $(seq "$RUNS"); do
        eval "$prep"
        local t0; t0=$(now)
        "$@" >/dev/null 2>&1 || true
        echo "$(now) - $t0" | bc
    done | median
}
cold='rm -rf "$PINDRIFT_CACHE_DIR"'
warm="\"$BIN\" drift image:$TAG freeze:$work/empty.txt >/dev/null 2>&1 || true"

echo "engines: 2 (this host's, and a second dockerd), driver $(docker info --format '{{.Driver}}'); binary $BIN; runs $RUNS"
echo "packages: $(docker exec "$one" python3 -m pip freeze --all | wc -l) (pip freeze --all in one container)"
printf '%-70s %s\n' "scenario" "median s"
printf '%-70s %s\n' "docker exec C python3 -m pip freeze --all" "$(time_runs : docker exec "$one" python3 -m pip freeze --all)"
printf '%-70s %s\n' "drift container:C freeze:EMPTY, image cached" "$(time_runs "$warm" "$BIN" drift "container:$one" "freeze:$work/empty.txt" --no-os)"
printf '%-70s %s\n' "  same, changes from the engine (PINDRIFT_LOCAL_LAYERS=0: proofs)" "$(PINDRIFT_LOCAL_LAYERS=0 time_runs "$warm" env PINDRIFT_LOCAL_LAYERS=0 "$BIN" drift "container:$one" "freeze:$work/empty.txt" --no-os)"
printf '%-70s %s\n' "drift container:C freeze:EMPTY, cold cache" "$(time_runs "$cold" "$BIN" drift "container:$one" "freeze:$work/empty.txt" --no-os)"
printf '%-70s %s\n' "drift --replicas (1 container, 1 engine), image cached" "$(time_runs "$warm" "$BIN" drift --host "$A" --replicas "$ONE_LABEL")"
printf '%-70s %s\n' "drift --replicas (20 containers, 2 engines), image cached" "$(time_runs "$warm" "$BIN" drift --host "$A" --host "$B" --replicas "$LABEL")"
printf '%-70s %s\n' "drift --replicas (1 container, 1 engine), cold cache" "$(time_runs "$cold" "$BIN" drift --host "$A" --replicas "$ONE_LABEL")"
printf '%-70s %s\n' "drift --replicas (20 containers, 2 engines), cold cache" "$(time_runs "$cold" "$BIN" drift --host "$A" --host "$B" --replicas "$LABEL")"
# One run: the engines' changes endpoint takes seconds per container on fuse-overlayfs.
printf '%-70s %s\n' "  same, PINDRIFT_LOCAL_LAYERS=0 (the engines' changes endpoint), 1 run" "$(RUNS=1 time_runs "$cold" env PINDRIFT_LOCAL_LAYERS=0 "$BIN" drift --host "$A" --host "$B" --replicas "$LABEL")"
"$BIN" drift --host "$A" --host "$B" --replicas "$LABEL" --no-os > "$work/out.txt" 2>&1 || true
head -5 "$work/out.txt"
