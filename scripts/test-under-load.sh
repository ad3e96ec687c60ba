#!/usr/bin/env bash
# Runs `make test` N times (default 2) while another process renames files in a loop (which makes
# openat2(RESOLVE_IN_ROOT) return EAGAIN on paths with `..`) and every core is busy: the suite must
# pass every time. Usage: scripts/test-under-load.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2}
scratch=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
# The rename loop: any rename on the machine bumps the kernel's rename sequence counter.
( touch "$scratch/a"; while :; do mv "$scratch/a" "$scratch/b"; mv "$scratch/b" "$scratch/a"; done ) &
pids+=($!)
for _ in $(seq "$(nproc)"); do ( while :; do :; done ) & pids+=($!); done
for i in $(seq "$runs"); do
  echo "== run $i of $runs (rename loop and $(nproc) busy loops in the background)" >&2
  make test
done
echo "== $runs runs passed under load" >&2
