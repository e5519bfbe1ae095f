#!/usr/bin/env bash
# The whole netid test suite: the one command in README.md, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== setup"
scripts/setup.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The development issuer and the live-object count exist only with this feature (JVM test builds).
cargo clippy -p netid-ffi --all-targets --locked --features dev-issuer -- -D warnings
# The ring signature backend and the targets that need it (the backend differential test, the
# signature bench) exist only with this feature.
cargo clippy -p netid-core --all-targets --locked --features fast-verify -- -D warnings

echo "== independent QR scanner (zxing-cpp + Pillow, used by core/tests/qr_scanner_zxing.rs)"
.venv/bin/python -c 'import importlib.metadata as m, zxingcpp, PIL; print("zxing-cpp", m.version("zxing-cpp"), "Pillow", PIL.__version__)'

echo "== Rust tests (inside a D-Bus session with gnome-keyring)"
# Tests that need the keyring session are #[ignore]d for a bare `cargo test`, so a developer sees
# them listed as ignored instead of failing; here they always run.
NETID_REQUIRE_SECRET_SERVICE=1 scripts/with-keyring.sh cargo test --workspace --locked -- --include-ignored

echo "== both signature backends give the same verdicts (netid-core's fast-verify: p256 and ring)"
# Run by name: the workspace build above has the feature only if some member enables it.
cargo test -p netid-core --features fast-verify --test verify_backends --locked

echo "== counter desk page in headless Chromium (Playwright; screenshots in target/desk-artefacts)"
scripts/vendor-desk.sh --check
scripts/desk-test.sh

echo "== independent SD-CWT check of docs/FORMAT.md and the draft vectors (Python: cbor2 + cryptography)"
.venv/bin/python scripts/check_sd_cwt.py

echo "== fuzzing QR text -> verified claims (bounded: NETID_FUZZ_SECONDS, default 60 s)"
scripts/fuzz.sh

echo "== docs/SECURITY.md: every test it names exists"
python3 scripts/check_security_tests.py

echo "== FFI library and bindings (generated code must match the Rust code)"
scripts/check-bindings-current.sh
# The generated Swift's error cases, renamed to lowerCamelCase by gen-bindings.sh, and the glue and
# docs/swift.md that use them: checked by reading the files (no Swift compiler here).
python3 scripts/test_swift_error_cases.py
# The JUnit tests load the JVM variant: the library with the development issuer.
cargo build -p netid-ffi --locked --features dev-issuer

# Maven stays quiet except for Surefire's results ("Tests run: N, ..."); jansi.noreset stops the
# stray terminal reset codes Maven prints even in batch mode.
export MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true"
mvn_quiet=(mvn -B -q -ntp -Dstyle.color=never
  -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info)
cargo_metadata=$(cargo metadata --format-version 1 --no-deps --locked)
ffi_version=$(python3 -c 'import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "netid-core"))' \
  <<<"$cargo_metadata")
ffi_lib_dir=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' \
  <<<"$cargo_metadata")/debug

echo "== Kotlin bindings on the JVM (JUnit 5, library $ffi_lib_dir through JNA)"
junit_log=$(mktemp)
"${mvn_quiet[@]}" -f android/jvm-tests/pom.xml test \
  -Dnetid.ffiLibDir="$ffi_lib_dir" -Dnetid.expectedVersion="$ffi_version" | tee "$junit_log"
# JUnit 5 silently ignores a test method that returns a value (easy to write in Kotlin with
# `= runBlocking { ... }`): check that every @Test in the sources ran.
declared=$(grep -rh '^\s*@Test$' android/jvm-tests/src/test/kotlin | wc -l | tr -d ' ')
ran=$(sed -n 's/.*Tests run: \([0-9]*\), Failures: [0-9]*, Errors: [0-9]*, Skipped: [0-9]*$/\1/p' "$junit_log" | tail -1)
rm -f "$junit_log"
if [ "$ran" != "$declared" ]; then
  echo "JUnit ran ${ran:-no} tests but the sources declare $declared @Test methods; a test method must return Unit" >&2
  exit 1
fi
echo "JUnit: all $declared declared tests ran"

echo "== Android Kotlin (generated bindings + host glue + docs/kotlin.md's snippets) compile check against android-all"
python3 scripts/kotlin_doc_snippets.py android/compile-check/target/doc-snippets
"${mvn_quiet[@]}" -f android/compile-check/pom.xml compile

echo "== release shrinking: R8 full mode with android/consumer-rules.pro, then the JUnit tests on the shrunk jar"
# R8 (Maven Central) shrinks, optimises and obfuscates the JVM bindings, JNA, coroutines and the
# tests with the library's consumer rules: a missing keep rule fails the tests here, not in an app.
android/shrink-test/run.sh "$ffi_lib_dir" "$ffi_version"

echo "== JVM artifact io.netid:netid-jvm: deployed to android/jvm/target/maven-repo, resolved and run by android/jvm-consumer"
android/jvm-consumer/run.sh "$ffi_lib_dir/libnetid_ffi.so" "$ffi_version"

echo "== FFI library size (release as shipped, stripped, x86_64 Linux; budget 2.5 MB)"
# The FFI library verifies with the p256 crate: ring (netid-core's fast-verify, for servers) must
# not be in its build, whatever other members enable (the library is always built with -p).
if ffi_ring=$(cargo tree -p netid-ffi --locked -e normal --target all -i ring 2>&1); then
  printf 'ring is in the FFI library build:\n%s\n' "$ffi_ring" >&2
  exit 1
fi
grep -q 'did not match any packages' <<<"$ffi_ring" || { echo "cargo tree failed: $ffi_ring" >&2; exit 1; }
# Nor the issuer's attestation check (netid-core's attestation-verify: x509-cert, der 0.8): the
# shipped library only passes the platform's evidence through (docs/SECURITY.md §2).
if ffi_x509=$(cargo tree -p netid-ffi --locked -e normal --target all -i x509-cert 2>&1); then
  printf 'x509-cert is in the FFI library build:\n%s\n' "$ffi_x509" >&2
  exit 1
fi
grep -q 'did not match any packages' <<<"$ffi_x509" || { echo "cargo tree failed: $ffi_x509" >&2; exit 1; }
# Nor ciborium (attestation-verify reads App Attest's CBOR with it; the library has its own strict
# CBOR, and dropping ciborium was part of making room, docs/SECURITY.md "Budgets").
if ffi_cbor=$(cargo tree -p netid-ffi --locked -e normal --target all -i ciborium 2>&1); then
  printf 'ciborium is in the FFI library build:\n%s\n' "$ffi_cbor" >&2
  exit 1
fi
grep -q 'did not match any packages' <<<"$ffi_cbor" || { echo "cargo tree failed: $ffi_cbor" >&2; exit 1; }
# Deterministic, not timed: the size an app embeds must not creep past its budget unnoticed.
bindings/measure-size.sh

echo "== netid demo --non-interactive through the built binary (the README's main job, without prompts)"
NETID_REQUIRE_SECRET_SERVICE=1 scripts/with-keyring.sh cargo run -q -p netid-cli --locked -- demo --non-interactive
