#!/usr/bin/env bash
# Measures what an app ships: libnetid_ffi.so for x86_64 Linux, built with the workspace release
# profile exactly as apps get it (lto, codegen-units = 1, opt-level chosen in Cargo.toml,
# panic = unwind), without the dev-issuer feature, then stripped. Prints the size and fails over
# the 2.5 MB budget (2,500,000 bytes). One LTO build (a few minutes); scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=2500000
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --locked --release -p netid-ffi --lib
cp "$target_dir/release/libnetid_ffi.so" "$work/libnetid_ffi.so"
unstripped=$(stat -c %s "$work/libnetid_ffi.so")
strip --strip-all "$work/libnetid_ffi.so"
stripped=$(stat -c %s "$work/libnetid_ffi.so")
printf 'libnetid_ffi.so (x86_64 Linux, release): %s bytes unstripped, %s bytes stripped (%.2f MB; budget %.1f MB)\n' \
  "$unstripped" "$stripped" "$(awk -v b="$stripped" 'BEGIN { print b / 1000000 }')" 2.5
if [ "$stripped" -gt "$budget" ]; then
  echo "over the 2.5 MB budget" >&2
  exit 1
fi
