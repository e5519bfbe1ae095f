#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Idempotent: each step checks first,
# so a second run costs seconds. Called by scripts/test.sh; safe to run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# gdb: its `gcore` dumps the child processes of the memory-scan tests (wallet_claims_memory_scan,
# bindings wipe_on_free; wallet_memory_scan falls back to it when /proc/<pid>/mem is refused).
# CI runs as root, so ptrace (which gcore needs) is allowed without changing ptrace_scope.
# redis-server, redis-tools: the service's replay cache tests (service/tests/replay_redis.rs) run
# against real Redis 7, single node and a local 3-master Cluster, started on free ports.
# chromium: the counter desk page's browser tests (scripts/desk-test.sh, Playwright from PyPI drives
# Debian's Chromium: no browser download); fonts-wqy-zenhei: CJK glyphs for its Chinese screenshots.
for pkg in gnome-keyring dbus dbus-bin libsecret-tools gdb redis-server redis-tools chromium fonts-wqy-zenhei; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
# The Kotlin bindings stages (JVM tests, Android compile check) build with Maven on JDK 17+.
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
# npm: scripts/vendor-desk.sh --check compares the desk's vendored libraries with the npm registry.
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Python tools for the independent checks (CBOR/COSE cross-check, QR decoding by another library).
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Reinstall whenever the pinned requirements change, not only when the venv is new.
requirements_stamp=.venv/requirements.sha256
if ! sha256sum --status -c "$requirements_stamp" >/dev/null 2>&1; then
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
  sha256sum scripts/requirements-test.txt > "$requirements_stamp"
fi

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

# Fuzzing (scripts/fuzz.sh): libFuzzer through cargo-fuzz needs a nightly compiler.
rustup toolchain list 2>/dev/null | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz@0.13.2
