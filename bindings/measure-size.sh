#!/usr/bin/env bash
# Measures what an app ships: libnetid_ffi.so for x86_64 Linux, built with the workspace release
# profile (lto, codegen-units = 1, panic = unwind) at opt-level 3, "s" and "z", then stripped.
# Prints a table and fails if any build is over the 2.5 MB budget (2,500,000 bytes).
#
# The root profile is not changed: each opt-level is a custom profile that inherits `release` and
# is defined on the command line (--config), so it builds into its own directory under the cargo
# target dir and never invalidates anybody's release build. Slow (three LTO builds); not part of
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=2500000
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rows=()
over=0
for level in 3 s z; do
  profile="ffi-size-opt-$level"
  case "$level" in
    3) value=3 ;;
    *) value="\"$level\"" ;;
  esac
  cargo build --quiet --locked -p netid-ffi --lib --profile "$profile" \
    --config "profile.$profile.inherits=\"release\"" \
    --config "profile.$profile.opt-level=$value"
  built="$target_dir/$profile/libnetid_ffi.so"
  strip --strip-all -o "$work/libnetid_ffi-$level.so" "$built"
  unstripped=$(stat -c %s "$built")
  stripped=$(stat -c %s "$work/libnetid_ffi-$level.so")
  verdict=ok
  if [ "$stripped" -gt "$budget" ]; then
    verdict="OVER BUDGET"
    over=1
  fi
  rows+=("$(printf '| %-9s | %12s | %10s | %8s | %-11s |' "$level" "$unstripped" "$stripped" \
    "$(python3 -c "print(f'{$stripped / 1e6:.3f}')")" "$verdict")")
done

echo "libnetid_ffi.so, x86_64-unknown-linux-gnu, release profile + opt-level, strip --strip-all"
echo "| opt-level | unstripped B | stripped B | MB (1e6) | budget 2.5 MB |"
echo "|-----------|--------------|------------|----------|---------------|"
printf '%s\n' "${rows[@]}"
exit "$over"
