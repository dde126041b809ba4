#!/usr/bin/env bash
# The pre-commit hook's first run, measured as a user meets it: real pre-commit (from PyPI),
# a fresh PRE_COMMIT_HOME and a fresh CARGO_HOME, `pre-commit install-hooks` for a
# configuration that uses this repository at REV. Prints wall and CPU time (pre-commit and
# everything it runs: pip, maturin or cargo, rustc), the size of the hook's environment, and
# the size of cargo's downloads (inside the environment for `language: rust`, where
# pre-commit sets CARGO_HOME there; in the user's cargo home for `language: python`).
#
# Usage: bench/hook-build.sh [REV]      (default HEAD; commit first what you measure)
set -euo pipefail
REV="${1:-HEAD}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/tools"
"$work/tools/bin/pip" install -q --disable-pip-version-check pre-commit
git clone -q "$root" "$work/src"
git -C "$work/src" checkout -q "$REV"
rev="$(git -C "$work/src" rev-parse HEAD)"
mkdir "$work/repo"
cd "$work/repo"
git init -q
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $work/src
    rev: $rev
    hooks:
      - id: pindrift
YAML
export PRE_COMMIT_HOME="$work/home" CARGO_HOME="$work/cargo-home"
# rustup's proxies find their toolchains through RUSTUP_HOME, not CARGO_HOME.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
unset CARGO_TARGET_DIR
/usr/bin/time -f '%e %U %S' -o "$work/time" "$work/tools/bin/pre-commit" install-hooks >/dev/null
read -r wall user sys < "$work/time"
language="$(grep -A4 'id: pindrift$' "$work/src/.pre-commit-hooks.yaml" | sed -n 's/ *language: //p' | head -1)"
env_dir="$(find "$PRE_COMMIT_HOME" -maxdepth 2 -type d \( -name 'rustenv-*' -o -name 'py_env-*' \) | head -1)"
echo "revision:        $(git -C "$work/src" log -1 --format='%h %s' | cut -c1-70)"
echo "hook language:   $language"
echo "wall:            ${wall} s"
echo "CPU (user+sys):  ${user} + ${sys} s"
echo "environment:     $(du -sh "$env_dir" | cut -f1)  ($env_dir)"
echo "binary:          $(du -sh "$env_dir/bin/pindrift" | cut -f1)"
if [ -d "$CARGO_HOME" ]; then
  echo "cargo downloads: $(du -sh "$CARGO_HOME" | cut -f1) in a fresh CARGO_HOME ($(find "$CARGO_HOME/registry/cache" -name '*.crate' | wc -l) crates)"
fi
