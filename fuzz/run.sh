#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a fixed time each, seeded from the
# fixtures and ../shared/corpus/real, then minimizes what was found back into the small
# committed corpus under fuzz/corpus/<target>. Crashes land in fuzz/artifacts/<target>.
#
# Engine: cargo-fuzz (libFuzzer) with `--sanitizer none`, which works on the stable
# toolchain: the code is safe Rust, so sanitizers add little and panics, aborts,
# stack overflows, timeouts and out-of-memory are what we look for.
#
# Usage: [KEEP=150] fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#        (default 600 s, every target; KEEP units committed per target)
# Needs: cargo install --locked cargo-fuzz
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-600}"
KEEP="${KEEP:-150}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
python3 seed.py "$seeds"

cargo fuzz build --sanitizer none --release

printf '%-22s %10s %8s %8s %8s %s\n' target execs exec/s cov ft crashes
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t" "$seeds/$t"
    work="$(mktemp -d)"
    log="$work/log"
    set +e
    cargo fuzz run --sanitizer none --release "$t" "$work" "corpus/$t" "$seeds/$t" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=60 \
        -print_final_stats=1 -close_fd_mask=3 >"$log" 2>&1
    status=$?
    set -e
    # Keep the committed corpus small: the minimal set that covers what all of it covers.
    fresh="$(mktemp -d)"
    cargo fuzz run --sanitizer none --release "$t" "$fresh" "corpus/$t" "$work" -- \
        -merge=1 -max_len=65536 >/dev/null 2>&1 || true
    # Seeds are made anew from the fixtures and the corpus on every run: commit only what
    # fuzzing found beyond them (libFuzzer and seed.py both name a unit by its SHA-1), and
    # nothing large.
    if [ -d "$seeds/$t" ]; then
        for unit in "$seeds/$t"/*; do rm -f "$fresh/$(basename "$unit")"; done
    fi
    find "$fresh" -type f -size +8k -delete
    # At most $KEEP units per target, the smallest first: enough to restart from, small
    # enough to commit (a 10-minute run finds about a thousand per target).
    find "$fresh" -type f -printf '%s %p\n' | sort -n | tail -n +"$((KEEP + 1))" | cut -d' ' -f2- |
        xargs -r rm -f
    if [ -n "$(ls -A "$fresh")" ]; then
        rm -rf "corpus/$t" && mv "$fresh" "corpus/$t"
    else
        rm -rf "$fresh"
    fi
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n1 | grep -Eo '[0-9]+' || echo 0)
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n1 | grep -Eo '[0-9]+' || echo 0)
    crashes=$(find "artifacts/$t" -type f | wc -l)
    printf '%-22s %10s %8s %8s %8s %s\n' "$t" "$execs" "$rate" "$cov" "$ft" "$crashes"
    if [ "$status" -ne 0 ]; then
        echo "  $t stopped with status $status; log tail:" >&2
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 8 >&2 || tail -n 20 "$log" >&2
    fi
    rm -rf "$work"
done
