#!/usr/bin/env bash
# The pre-commit hook's first run, measured as a user meets it: real pre-commit (from PyPI),
# a fresh PRE_COMMIT_HOME and a fresh CARGO_HOME, `pre-commit install-hooks` for a
# configuration that uses this repository at REV. Prints wall and CPU time (pre-commit and
# everything it runs: pip, cargo, rustc), the size of the hook's environment and of
# pre-commit's whole store (the clone, the environment, and whatever a build left there),
# and the size of cargo's downloads.
#
# Usage: bench/hook-build.sh [REV] [build|release]     (default HEAD build; commit first)
#   build    no release to download (PINDRIFT_RELEASE_URL empty): pindrift is compiled
#   release  a release of REV's sources, built beforehand (not timed) and served from a
#            file:// folder laid out as .github/workflows/release.yml publishes it: the
#            time of everything but the download itself
# Revisions from before the hooks were `language: python` (a607cf3 and older) build with
# `language: rust` whatever the mode.
set -euo pipefail
REV="${1:-HEAD}"
MODE="${2:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/tools"
"$work/tools/bin/pip" install -q --disable-pip-version-check pre-commit
git clone -q "$root" "$work/src"
git -C "$work/src" checkout -q "$REV"
rev="$(git -C "$work/src" rev-parse HEAD)"

case "$MODE" in
  build) export PINDRIFT_RELEASE_URL="" ;;
  release)
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$work/src/Cargo.toml" | head -n 1)"
    case "$(uname -m)" in
      x86_64) target=x86_64-unknown-linux-musl ;;
      aarch64) target=aarch64-unknown-linux-musl ;;
    esac
    release="$work/server/v$version"
    mkdir -p "$release" "$work/stage"
    # Built in the repository's own target folder, where the dependencies are usually built.
    (cd "$work/src" && CARGO_TARGET_DIR="$root/target" cargo build --quiet --locked --release)
    cp "$root/target/release/pindrift" "$work/stage/pindrift"
    tar -czf "$release/pindrift-$target.tar.gz" -C "$work/stage" pindrift
    (cd "$release" && sha256sum "pindrift-$target.tar.gz" > "pindrift-$target.tar.gz.sha256")
    python3 "$work/src/hook/release_or_build.py" source-digest "$work/src" > "$release/pindrift-source.sha256"
    export PINDRIFT_RELEASE_URL="file://$work/server"
    ;;
  *) echo "mode must be build or release, not $MODE" >&2; exit 2 ;;
esac

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
echo "hook language:   $language ($MODE)"
echo "wall:            ${wall} s"
echo "CPU (user+sys):  ${user} + ${sys} s"
echo "environment:     $(du -sh "$env_dir" | cut -f1)  ($env_dir)"
echo "binary:          $(du -sh "$env_dir/bin/pindrift" | cut -f1)"
echo "store in all:    $(du -sh "$PRE_COMMIT_HOME" | cut -f1)  (PRE_COMMIT_HOME: clone, environment, build leftovers)"
for leftover in "$(dirname "$env_dir")/target"; do
  if [ -d "$leftover" ]; then echo "  of which        $(du -sh "$leftover" | cut -f1) in the clone's target/"; fi
done
if [ -d "$CARGO_HOME" ]; then
  echo "cargo downloads: $(du -sh "$CARGO_HOME" | cut -f1) in a fresh CARGO_HOME ($(find "$CARGO_HOME/registry/cache" -name '*.crate' | wc -l) crates)"
fi
