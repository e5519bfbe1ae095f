#!/usr/bin/env bash
# Fails when the committed Kotlin or Swift bindings differ from what the current Rust code
# generates: regenerates them into a temporary directory and compares every managed directory,
# including files that should no longer exist.
set -euo pipefail
cd "$(dirname "$0")/.."

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
scripts/gen-bindings.sh --out "$fresh"

stale=0
checked=0
while IFS= read -r dir; do
  checked=$((checked + 1))
  if ! diff -r -u "$dir" "$fresh/$dir" >"$fresh/diff.txt" 2>&1; then
    echo "-- $dir differs from a fresh generation (first lines of the diff):" >&2
    head -n 40 "$fresh/diff.txt" >&2
    stale=1
  fi
done < <(scripts/gen-bindings.sh --list)
if [ "$checked" -eq 0 ]; then
  echo "check-bindings-current: gen-bindings.sh --list named no directories" >&2
  exit 1
fi
if [ "$stale" -ne 0 ]; then
  echo "bindings are stale: run scripts/gen-bindings.sh" >&2
  exit 1
fi
echo "bindings are current (Kotlin Android + JVM variants, Swift, C header)"
