#!/usr/bin/env bash
# Whole-process benchmark: inventory of a container with 300 installed packages through the
# archive API (`pindrift drift container:C freeze:EMPTY`) against `docker exec C pip freeze`.
#
# Usage: bench/drift.sh [RUNS]     (PINDRIFT=path/to/binary, default target/debug/pindrift)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
BIN="${PINDRIFT:-${CARGO_TARGET_DIR:-target}/debug/pindrift}"
BASE=pindrift-test/debian-python:1
TAG="pindrift-bench-drift:$$"
CTR="pindrift-bench-drift-$$"

bash tests/support/build-base-image.sh "$BASE"
[ -x "$BIN" ] || cargo build -q
ctx="$(mktemp -d)"
cleanup() { docker rm -f "$CTR" >/dev/null 2>&1 || true; docker rmi -f "$TAG" >/dev/null 2>&1 || true; rm -rf "$ctx"; }
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

count=$(docker exec "$CTR" python3 -m pip freeze --all | wc -l)
echo "packages in the container (pip freeze --all): $count"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { # prints seconds
    local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}
# warm-up
"$BIN" drift "container:$CTR" "freeze:$ctx/empty.txt" --no-os >/dev/null 2>&1 || true
docker exec "$CTR" python3 -m pip freeze --all >/dev/null

a=(); e=(); o=()
for _ in $(seq "$RUNS"); do
    a+=("$(time_it "$BIN" drift "container:$CTR" "freeze:$ctx/empty.txt" --no-os)")
    o+=("$(time_it "$BIN" drift "container:$CTR" "freeze:$ctx/empty.txt")")
    e+=("$(time_it docker exec "$CTR" python3 -m pip freeze --all)")
done
ma=$(printf '%s\n' "${a[@]}" | median)
mo=$(printf '%s\n' "${o[@]}" | median)
me=$(printf '%s\n' "${e[@]}" | median)
printf '| method | median of %s runs (s) |\n|---|---|\n' "$RUNS"
printf '| pindrift archive API, Python only (`--no-os`) | %.3f |\n' "$ma"
printf '| pindrift archive API, Python + dpkg | %.3f |\n' "$mo"
printf '| docker exec … pip freeze --all | %.3f |\n' "$me"
printf 'speed-up (Python only): %.2fx\n' "$(echo "$me / $ma" | bc -l)"
