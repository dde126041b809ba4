#!/usr/bin/env bash
# Whole-process benchmark: inventory of a container with 300 installed packages through the
# archive API (`pindrift drift container:C freeze:EMPTY --no-os`) against
# `docker exec C python3 -m pip freeze --all`: cold (empty image cache), warm (image cached,
# container unchanged) and a container with a few packages changed in place, each with the
# default policy (`auto`) and with the changes endpoint forced (`PINDRIFT_CHANGES=always`);
# plus `image:REF` cold and warm, and peak RSS.
#
# Usage: bench/drift.sh [RUNS]     (PINDRIFT=path/to/binary, default target/release/pindrift)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
BIN="${PINDRIFT:-${CARGO_TARGET_DIR:-target}/release/pindrift}"
BASE=pindrift-test/debian-python:1
TAG="pindrift-bench-drift:$$"
CTR="pindrift-bench-drift-$$"
CTR2="pindrift-bench-drift2-$$"

bash tests/support/build-base-image.sh "$BASE"
[ -x "$BIN" ] || cargo build -q --release
ctx="$(mktemp -d)"
cleanup() { docker rm -f "$CTR" "$CTR2" >/dev/null 2>&1 || true; docker rmi -f "$TAG" >/dev/null 2>&1 || true; rm -rf "$ctx"; }
trap cleanup EXIT

# 300 fabricated distributions (metadata, RECORD and a small module each).
python3 - "$ctx/pkgs" <<'PY'
import os, sys
base = sys.argv[1]
for i in range(300):
    name, ver = f"fakepkg{i:03d}", f"1.{i % 7}.{i % 13}"
    d = f"{base}/{name}-{ver}.dist-info"
    os.makedirs(d)
    open(f"{d}/METADATA", "w").write(f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\nSummary: fabricated\n\nLong text.\n")
    open(f"{d}/INSTALLER", "w").write("pip\n")
    open(f"{d}/RECORD", "w").write(f"{name}/__init__.py,,\n")
    os.makedirs(f"{base}/{name}")
    open(f"{base}/{name}/__init__.py", "w").write("X = 1\n" * 50)
PY
printf 'FROM %s\nCOPY pkgs/ /usr/local/lib/python3.11/dist-packages/\n' "$BASE" > "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" "$ctx" >/dev/null
docker run -d --network none --name "$CTR" "$TAG" sleep 3600 >/dev/null
: > "$ctx/empty.txt"

docker run -d --network none --name "$CTR2" "$TAG" sleep 3600 >/dev/null
# A few packages changed in place in the second container: two installed, one removed.
docker exec "$CTR2" sh -c 'S=/usr/local/lib/python3.11/dist-packages
  for n in hotfixa hotfixb; do mkdir -p $S/$n-9.0.dist-info; printf "Name: $n\nVersion: 9.0\n" > $S/$n-9.0.dist-info/METADATA; done
  rm -rf $S/fakepkg007-1.0.7.dist-info'
: > "$ctx/empty.txt"
export PINDRIFT_CACHE_DIR="$ctx/cache"

count=$(docker exec "$CTR" python3 -m pip freeze --all | wc -l)
echo "packages in the container (pip freeze --all): $count"
echo "storage driver: $(docker info --format '{{.Driver}}'); binary: $BIN"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
# time_runs PREP CMD...: median wall time of RUNS runs of CMD, PREP run (untimed) before each.
time_runs() {
    local prep="$1"; shift
    local t=() s e
    for _ in $(seq "$RUNS"); do
        eval "$prep"
        s=$(now); "$@" >/dev/null 2>&1 || true; e=$(now)
        t+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${t[@]}" | median
}
rss() { # peak RSS in KiB
    local prep="$1"; shift
    eval "$prep"
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}'
}
drop='rm -rf "$PINDRIFT_CACHE_DIR"'
warm='"$BIN" drift "container:$CTR" "freeze:$ctx/empty.txt" --no-os >/dev/null 2>&1 || true; "$BIN" drift "image:$TAG" "freeze:$ctx/empty.txt" --no-os >/dev/null 2>&1 || true'
P=(drift "container:$CTR" "freeze:$ctx/empty.txt" --no-os)
P2=(drift "container:$CTR2" "freeze:$ctx/empty.txt" --no-os)
PI=(drift "image:$TAG" "freeze:$ctx/empty.txt" --no-os)

# warm-up
"$BIN" "${P[@]}" >/dev/null 2>&1 || true
docker exec "$CTR" python3 -m pip freeze --all >/dev/null

exec_t=$(time_runs : docker exec "$CTR" python3 -m pip freeze --all)
row() { printf '| %s | %.3f | %.1fx |\n' "$1" "$2" "$(echo "$exec_t / $2" | bc -l)"; }
printf '| scenario | median of %s runs (s) | vs exec |\n|---|---|---|\n' "$RUNS"
printf '| `docker exec C python3 -m pip freeze --all` | %.3f | 1.0x |\n' "$exec_t"
row 'container, cold (empty cache), auto' "$(time_runs "$drop" "$BIN" "${P[@]}")"
row 'container, warm (image cached), auto' "$(time_runs "$warm" "$BIN" "${P[@]}")"
row 'container with 3 changed packages, warm, auto' "$(time_runs "$warm" "$BIN" "${P2[@]}")"
row 'container, cold, changes forced' "$(time_runs "$drop" env PINDRIFT_CHANGES=always "$BIN" "${P[@]}")"
row 'container, warm, changes forced' "$(time_runs "$warm" env PINDRIFT_CHANGES=always "$BIN" "${P[@]}")"
row 'container with 3 changed packages, warm, changes forced' "$(time_runs "$warm" env PINDRIFT_CHANGES=always "$BIN" "${P2[@]}")"
row '`image:REF`, cold (empty cache)' "$(time_runs "$drop" "$BIN" "${PI[@]}")"
row '`image:REF`, warm (cached)' "$(time_runs "$warm" "$BIN" "${PI[@]}")"
row '`--no-cache` (archive read, as before the cache)' "$(time_runs : "$BIN" "${P[@]}" --no-cache)"
echo
echo "peak RSS (KiB): cold container $(rss "$drop" "$BIN" "${P[@]}"), warm container $(rss "$warm" "$BIN" "${P[@]}"), cold image $(rss "$drop" "$BIN" "${PI[@]}"), warm image $(rss "$warm" "$BIN" "${PI[@]}"), docker exec client $(rss : docker exec "$CTR" python3 -m pip freeze --all)"
echo "cache entry: $(du -k "$PINDRIFT_CACHE_DIR"/inventory/v1/*.json | cut -f1) KiB"
changes_t=$(time_runs : curl -s --unix-socket /var/run/docker.sock -o /dev/null "http://docker/containers/$CTR/changes")
echo "GET /containers/C/changes alone: $(printf '%.3f' "$changes_t") s"
