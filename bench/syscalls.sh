#!/usr/bin/env bash
# System calls, context switches and CPU of `pindrift check` on the bench tree (the two-core
# regression in the README). Usage: bench/syscalls.sh [PINDRIFT] [TREE] (defaults:
# target/release/pindrift, /tmp/tree from `python3 ../shared/bench/gen-tree.py /tmp/tree
# --services 1000`). Needs strace; perf is used when present.
set -u
BIN=$(realpath "${1:-target/release/pindrift}")
TREE=${2:-/tmp/tree}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
strace -c -f -o "$OUT" "$BIN" check "$TREE" --no-config >/dev/null 2>&1
grep -E '^ *[0-9.]+ .* (statx|readlink|futex|openat|getdents64|total)$|total$' "$OUT" |
    awk '{ printf "%-12s %8s calls %6s errors\n", $NF, $4, (NF == 6 ? $5 : 0) }'
# Ten runs: wall, CPU and voluntary context switches (arena lock waits show up here).
for _ in $(seq 10); do
    /usr/bin/time -f '%e %U %S %w' "$BIN" check "$TREE" --no-config 2>&1 >/dev/null | tail -1
done | awk '{ w += $1; u += $2; s += $3; v += $4; n++ }
    END { printf "10 runs: wall %.0f ms, user %.0f ms, sys %.0f ms, voluntary context switches %.0f (means)\n", 1000*w/n, 1000*u/n, 1000*s/n, v/n }'
if command -v perf >/dev/null; then
    perf stat -x, -e context-switches -r 10 "$BIN" check "$TREE" --no-config 2>&1 >/dev/null |
        awk -F, '/context-switches/ { printf "perf: %s context switches per run (mean of 10)\n", $1 }'
fi
