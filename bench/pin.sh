#!/usr/bin/env bash
# Whole-process timing of `pindrift pin --check --from freeze:FILE` against `pindrift check`
# on the 1,000-service tree (issue 9's target: within 1.5x of check). The freeze names every
# package the tree's requirements files mention, at one version, so pin plans a rewrite of
# every unpinned or loose line and reports every drifted pin.
#
#   bench/pin.sh [TREE] [RUNS]      (default /tmp/tree, 30 runs; release build)
set -euo pipefail
tree=${1:-/tmp/tree}
runs=${2:-30}
bin=${PINDRIFT:-target/release/pindrift}
if [ ! -d "$tree" ]; then
  python3 ../shared/bench/gen-tree.py "$tree" --services 1000
fi
freeze=$(mktemp /tmp/pin-bench-freeze.XXXXXX)
trap 'rm -f "$freeze"' EXIT
python3 - "$tree" > "$freeze" <<'PY'
import os, re, sys
names = set()
for root, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".txt") and ("requirements" in f or f.startswith("constraints")):
            for line in open(os.path.join(root, f), encoding="utf-8", errors="replace"):
                m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
                if m and not line.lstrip().startswith(("-", "#")):
                    names.add(m.group(1).lower())
for n in sorted(names):
    print(f"{n}==1.0.0")
PY
echo "freeze: $(wc -l < "$freeze") packages"
if command -v hyperfine > /dev/null; then
  hyperfine -N --warmup 3 --runs "$runs" -i \
    "$bin check $tree --no-config" \
    "$bin pin --check $tree --no-config --from freeze:$freeze"
  exit 0
fi
# Without hyperfine: wall time of each run, mean (min-max), in Python.
python3 - "$runs" "$bin" "$tree" "$freeze" <<'PY'
import subprocess, sys, time
runs, binary, tree, freeze = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
commands = {
    "check": [binary, "check", tree, "--no-config"],
    "pin --check": [binary, "pin", "--check", tree, "--no-config", "--from", f"freeze:{freeze}"],
}
results = {}
for name, cmd in commands.items():
    for _ in range(3):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(runs):
    # Interleaved, so load changes hit both alike.
    for name, cmd in commands.items():
        start = time.perf_counter()
        code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        results.setdefault(name, []).append(time.perf_counter() - start)
        assert code in (0, 1), f"{name}: exit {code}"
for name, times in results.items():
    times.sort()
    mean = sum(times) / len(times)
    print(f"{name:12} mean {mean*1000:6.1f} ms  median {times[len(times)//2]*1000:6.1f} ms  "
          f"min {times[0]*1000:6.1f} ms  max {times[-1]*1000:6.1f} ms")
ratio = (sum(results["pin --check"]) / sum(results["check"]))
print(f"pin --check / check: {ratio:.2f}x (target: within 1.5x)")
PY
