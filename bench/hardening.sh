#!/usr/bin/env bash
# Issue 14 (hardening) measurements: hostile inputs for `pindrift check`, each with its
# wall time and peak RSS. Usage: bench/hardening.sh [PINDRIFT] (default target/release/pindrift).
# Every run has a 120 s timeout; results go to stdout as `name: time s peak KB exit N`.
set -u
BIN=${1:-target/release/pindrift}
BIN=$(realpath "$BIN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
git init -q .

measure() { # name, then the pindrift arguments
    local name=$1
    shift
    /usr/bin/time -o "$WORK/time" -f '%e s %M KB exit %x' timeout 120 "$BIN" check --no-config "$@" >"$WORK/out" 2>"$WORK/err"
    local stats
    stats=$(tail -1 "$WORK/time")
    printf '%-44s %s, output %s bytes\n' "$name:" "$stats" "$(wc -c <"$WORK/out")"
}

python3 - <<'EOF'
import os
N = 10_000
os.makedirs("deep", exist_ok=True); os.makedirs("wide", exist_ok=True); os.makedirs("fanin", exist_ok=True)
for i in range(N):
    open(f"deep/r{i}.txt", "w").write(f"-r r{i+1}.txt\npkg{i}\n")
    open(f"wide/d{i}.txt", "w").write(f"pkg{i}==1.0\n")
    open(f"fanin/svc{i}-requirements.txt", "w").write("-r common.txt\nflask==3.0.3\n")
open(f"deep/r{N}.txt", "w").write("last==1.0\n")
open("wide/requirements.txt", "w").write("".join(f"-r d{i}.txt\n" for i in range(N)))
open("fanin/common.txt", "w").write("shared\n")
# cycle of 10,000
os.makedirs("cycle", exist_ok=True)
for i in range(N):
    open(f"cycle/r{i}.txt", "w").write(f"-r r{(i+1) % N}.txt\npkg{i}\n")
# 3,000,000 identical unpinned lines (18 MB), 20 MB of distinct pins
open("lines3m.txt", "w").write("flask\n" * 3_000_000)
with open("pins20mb.txt", "w") as f:
    i = 0
    size = 0
    while size < 20_000_000:
        line = f"package-number-{i}==1.0.{i % 100}\n"
        f.write(line); size += len(line); i += 1
# 10 MiB (just under the default cap) of the shortest lines pip accepts
open("tiny10m.txt", "w").write("a\n" * (10 * 1024 * 1024 // 2 - 1))
# a 129 KB Dockerfile: one RUN line installing 16,000 unpinned packages
open("Dockerfile.long", "w").write("FROM python:3.12\nRUN pip install " + " ".join(f"p{i}" for i in range(16_000)) + "\n")
EOF
mkfifo fifo.txt
echo "-r fifo.txt" > fifo-include.txt
echo "-r /dev/zero" > zero-include.txt

measure "FIFO named" fifo.txt
measure "-r FIFO" fifo-include.txt
measure "--config FIFO" --config fifo.txt fifo-include.txt
measure "/dev/zero named" --allow-outside /dev/zero
measure "-r /dev/zero (--allow-outside)" --allow-outside zero-include.txt
measure "10,000-deep -r chain" deep/r0.txt
measure "10,000-long cycle" cycle/r0.txt
measure "one file including 10,000" wide/requirements.txt
measure "10,000 files including one" fanin
measure "3M identical lines (18 MB), default cap" lines3m.txt
measure "3M identical lines, cap 64MiB, human" --max-file-size 64MiB lines3m.txt
measure "3M identical lines, cap 64MiB, json" --max-file-size 64MiB --format json lines3m.txt
measure "20 MB of pins, default cap" pins20mb.txt
measure "20 MB of pins, cap 64MiB" --max-file-size 64MiB pins20mb.txt
measure "10 MiB of 'a' lines (under the cap)" tiny10m.txt
measure "129 KB Dockerfile, 16,000 findings" --kind dockerfile Dockerfile.long
