#!/usr/bin/env bash
# The whole netid test suite: the one command in README.md, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== setup"
scripts/setup.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== independent QR scanner (zxing-cpp + Pillow, used by core/tests/qr_scanner_zxing.rs)"
.venv/bin/python -c 'import importlib.metadata as m, zxingcpp, PIL; print("zxing-cpp", m.version("zxing-cpp"), "Pillow", PIL.__version__)'

echo "== Rust tests (inside a D-Bus session with gnome-keyring)"
NETID_REQUIRE_SECRET_SERVICE=1 scripts/with-keyring.sh cargo test --workspace --locked
