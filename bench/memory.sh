#!/usr/bin/env bash
# Memory and CPU of `pindrift check` on files with millions of findings (issue 14, item 2),
# in every output format. Usage: bench/memory.sh [PINDRIFT] (default target/release/pindrift).
# Prints `case format: wall s, user s, sys s, peak KB, output bytes` per run. Peak RSS is not
# disturbed by other work on the machine; wall time is, so compare user + sys.
# Target (issue 14) for the 3M-line file: under 300 MB in every format (met: 257 MB) and
# under 3 s of CPU (not met on 2 shared cores: 3.6-8.9 s); numbers in bench/README.md.
set -u
BIN=${1:-target/release/pindrift}
BIN=$(realpath "$BIN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
git init -q .
# 3,000,000 unpinned lines naming 1,000 packages (20.7 MB), the issue's example.
python3 -c "print('\n'.join(f'pkg{i%1000}' for i in range(3_000_000)))" > lines3m.txt
# 3,000,000 distinct names: nothing for findings to share.
python3 -c "print('\n'.join(f'pkg{i}' for i in range(3_000_000)))" > distinct3m.txt
# The worst case under the default 10 MiB cap: the shortest lines pip accepts.
python3 -c "import sys; sys.stdout.write('a\n' * (10 * 1024 * 1024 // 2 - 1))" > tiny10m.txt

measure() { # name, format, then the pindrift arguments
    local name=$1 format=$2
    shift 2
    /usr/bin/time -o "$WORK/time" -f '%e s wall, %U s user, %S s sys, %M KB' \
        timeout 300 "$BIN" check --no-config --format "$format" "$@" >"$WORK/out" 2>"$WORK/err"
    printf '%-28s %-7s %s, output %s bytes\n' "$name" "$format" "$(tail -1 "$WORK/time")" "$(wc -c <"$WORK/out")"
}

for format in human json sarif github; do
    measure "3M lines, 1,000 names" "$format" --max-file-size 100MiB lines3m.txt
done
measure "3M lines, distinct names" human --max-file-size 100MiB distinct3m.txt
measure "10 MiB of 'a' lines" human tiny10m.txt
