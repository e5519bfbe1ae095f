#!/usr/bin/env bash
# The counter desk page in a real browser (service/tests/desk/test_desk.py): Debian's Chromium,
# headless, driven by Playwright from PyPI with no browser download. Needs scripts/setup.sh
# (Chromium, CJK fonts for the Chinese screenshots, the Python virtualenv). Screenshots go to
# target/desk-artefacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -q -p netid-cli --bin netid -p netid-verifier --bin netid-verifier
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export NETID_BIN="$target_dir/debug/netid"
export NETID_VERIFIER_BIN="$target_dir/debug/netid-verifier"
export NETID_CHROMIUM=/usr/bin/chromium
export NETID_DESK_ARTEFACTS="$target_dir/desk-artefacts"
rm -rf "$NETID_DESK_ARTEFACTS"
# Playwright must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
.venv/bin/python -m pytest -q -p no:cacheprovider service/tests/desk "$@"
for shot in accepted-en refused-en accepted-zh-CN refused-zh-CN camera-accepted-en; do
  [ -s "$NETID_DESK_ARTEFACTS/$shot.png" ] || { echo "missing screenshot $shot.png" >&2; exit 1; }
done
echo "desk screenshots: $NETID_DESK_ARTEFACTS"
