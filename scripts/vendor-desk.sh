#!/usr/bin/env bash
# The counter desk page's browser libraries, from the npm registry, pinned by
# service/desk/package-lock.json (versions and sha512 integrity): copies them into
# service/desk/vendor/, which is committed and embedded in the netid-verifier binary, so the page
# works on an intranet with no internet and a build needs no npm. `--check` (run by
# scripts/test.sh) fetches the same packages and fails if the committed copies differ by a byte.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-write}"
desk=service/desk
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$desk/package.json" "$desk/package-lock.json" "$work/"
# --ignore-scripts: no package gets to run code here; npm ci checks every integrity hash.
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
mods="$work/node_modules"
out="$work/vendor"
mkdir -p "$out"
# zxing-wasm (MIT): the reader-only IIFE build and its WebAssembly (zxing-cpp).
cp "$mods/zxing-wasm/dist/iife/reader/index.js" "$out/zxing-wasm-reader.js"
cp "$mods/zxing-wasm/dist/reader/zxing_reader.wasm" "$out/zxing_reader.wasm"
cp "$mods/zxing-wasm/LICENSE" "$out/zxing-wasm.LICENSE"
# @fluent/bundle (Apache-2.0): the UMD build, global `FluentBundle`. Its npm package carries no
# licence file, so the Apache License 2.0 text is kept beside it (vendor/README.md says so).
cp "$mods/@fluent/bundle/index.js" "$out/fluent-bundle.js"
cp "$desk/vendor/fluent-bundle.LICENSE" "$out/fluent-bundle.LICENSE" 2>/dev/null || true
cp "$desk/vendor/README.md" "$out/README.md" 2>/dev/null || true
if [ "$mode" = "--check" ]; then
  if ! diff -r "$out" "$desk/vendor" >/dev/null; then
    diff -rq "$out" "$desk/vendor" >&2 || true
    echo "service/desk/vendor/ differs from the npm packages pinned in package-lock.json; run scripts/vendor-desk.sh" >&2
    exit 1
  fi
  echo "desk vendor: the committed copies are the pinned npm packages, byte for byte"
else
  cp "$out"/* "$desk/vendor/"
  echo "desk vendor: copied into $desk/vendor/"
fi
