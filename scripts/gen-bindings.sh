#!/usr/bin/env bash
# Regenerates every committed binding of netid-ffi from a fresh build of the library:
#   android/src/generated/kotlin/            Kotlin, Android variant (bundled by the Android library)
#   android/jvm-tests/src/generated/kotlin/  Kotlin, JVM variant (desktop JVM, the JUnit tests)
#   ios/Sources/NetIDWallet/Generated/       Swift (the NetIDWallet Swift package target), its
#                                            error cases renamed by scripts/swift_error_cases.py
#   ios/Generated/NetIDWalletFFI/            C header + module map for the XCFramework
# and, from the message catalogue (cargo run -p netid-i18n --bin gen-host-strings), the apps'
# string resources android/src/main/res/values*/netid_strings.xml and
# ios/Sources/NetIDWallet/Resources/*.lproj/NetID.strings.
# These directories hold only generated files and are replaced whole; never edit them by hand.
#
# Usage: scripts/gen-bindings.sh              rewrite the directories above in place
#        scripts/gen-bindings.sh --out DIR    write the same tree under DIR instead (used by
#                                             scripts/check-bindings-current.sh)
#        scripts/gen-bindings.sh --list       print the directories above, one a line
#
# Bindings are generated from the UNSTRIPPED debug cdylib: uniffi-bindgen reads the interface
# metadata from symbols that stripping removes. What ships is built and stripped separately
# (android/build-rust.sh, ios/build-xcframework.sh).
set -euo pipefail

# The directories this script owns, relative to the repository root.
managed_dirs=(
  android/src/generated/kotlin
  android/jvm-tests/src/generated/kotlin
  ios/Sources/NetIDWallet/Generated
  ios/Generated/NetIDWalletFFI
)

out_root=""
case "${1:-}" in
  "") ;;
  --list)
    printf '%s\n' "${managed_dirs[@]}"
    exit 0
    ;;
  --out)
    # Resolved before leaving the caller's directory, so a relative DIR means what it says.
    mkdir -p "${2:?--out needs a directory}"
    out_root=$(cd "$2" && pwd)
    ;;
  *)
    echo "usage: $0 [--out DIR]" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."

target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
case "$(uname -s)" in
  Darwin) lib_file="libnetid_ffi.dylib" ;;
  *) lib_file="libnetid_ffi.so" ;;
esac
library="$target_dir/debug/$lib_file"
bindgen="$target_dir/debug/uniffi-bindgen"

# Separate builds on purpose: building the library and the generator together would unify
# uniffi's features and compile the shipped library against the code generator's dependencies.
cargo build --quiet -p netid-uniffi-bindgen --locked

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Two interface variants. What ships (Android, iOS) has no development issuer; the JVM bindings
# (JUnit tests, desktop demos) are generated from a build with the `dev-issuer` feature. Bindings
# must match the library they load exactly (JNA registers every function at load), so each
# variant is generated from its own build; the library left in the target directory afterwards is
# the dev-issuer one, which is what the JUnit tests load.
cargo build --quiet -p netid-ffi --locked
cp "$library" "$work/$lib_file.shipped"
cargo build --quiet -p netid-ffi --locked --features dev-issuer
cp "$library" "$work/$lib_file.dev-issuer"

# The JVM variant differs from the Android one by exactly one setting; derive it rather than keep
# a second file that could drift.
if [ "$(grep -c '^android = true$' uniffi.toml)" -ne 1 ]; then
  echo "gen-bindings: uniffi.toml must contain exactly one line 'android = true'" >&2
  exit 1
fi
sed 's/^android = true$/android = false/' uniffi.toml >"$work/uniffi-jvm.toml"

# Runs uniffi-bindgen and fails on any warning: a misplaced or old-style config file is only
# reported as a warning, and would silently produce bindings with default names.
generate() {
  local language=$1 config=$2 dest=$3 built=$4
  if ! "$bindgen" generate --library "$built" --language "$language" --config "$config" \
    --no-format --out-dir "$dest" 2>"$work/bindgen.err"; then
    cat "$work/bindgen.err" >&2
    echo "gen-bindings: uniffi-bindgen failed for $language" >&2
    exit 1
  fi
  if grep -qi 'warning' "$work/bindgen.err"; then
    cat "$work/bindgen.err" >&2
    echo "gen-bindings: uniffi-bindgen warned for $language; fix the cause" >&2
    exit 1
  fi
}

generate kotlin uniffi.toml "$work/kotlin-android" "$work/$lib_file.shipped"
generate kotlin "$work/uniffi-jvm.toml" "$work/kotlin-jvm" "$work/$lib_file.dev-issuer"
generate swift uniffi.toml "$work/swift" "$work/$lib_file.shipped"

kotlin_file=io/netid/wallet/netid_ffi.kt
for variant in kotlin-android kotlin-jvm; do
  if ! grep -m1 '^package ' "$work/$variant/$kotlin_file" 2>/dev/null | grep -qx 'package io.netid.wallet'; then
    echo "gen-bindings: $variant bindings are not in package io.netid.wallet; uniffi.toml was not applied" >&2
    exit 1
  fi
done
for f in NetIDWallet.swift NetIDWalletFFI.h NetIDWalletFFI.modulemap; do
  if [ ! -f "$work/swift/$f" ]; then
    echo "gen-bindings: uniffi-bindgen did not produce $f; uniffi.toml was not applied" >&2
    exit 1
  fi
done

# uniffi 0.32 names the cases of Swift error enums in UpperCamelCase (`case WrongPin`), and no
# uniffi setting changes that (its `rename` table goes through the same UpperCamelCase filter).
# This strict step renames exactly those cases to Swift's lowerCamelCase (`case wrongPin`), as
# plain enums already are, and fails if the file is not shaped as it expects (docs/swift.md
# "Error case names"; checked by scripts/test_swift_error_cases.py).
python3 scripts/swift_error_cases.py "$work/swift/NetIDWallet.swift"

stage="$work/tree"
mkdir -p "$stage/android/src/generated/kotlin" "$stage/android/jvm-tests/src/generated/kotlin" \
  "$stage/ios/Sources/NetIDWallet/Generated" "$stage/ios/Generated/NetIDWalletFFI"
cp -R "$work/kotlin-android/." "$stage/android/src/generated/kotlin/"
cp -R "$work/kotlin-jvm/." "$stage/android/jvm-tests/src/generated/kotlin/"
cp "$work/swift/NetIDWallet.swift" "$stage/ios/Sources/NetIDWallet/Generated/"
cp "$work/swift/NetIDWalletFFI.h" "$work/swift/NetIDWalletFFI.modulemap" \
  "$stage/ios/Generated/NetIDWalletFFI/"

if [ -n "$out_root" ]; then
  dest_root="$out_root"
else
  dest_root="$PWD"
fi
for dir in "${managed_dirs[@]}"; do
  rm -rf "${dest_root:?}/$dir"
  mkdir -p "$dest_root/$dir"
  cp -R "$stage/$dir/." "$dest_root/$dir/"
done
# The apps' string resources come from the shared message catalogue (docs/i18n.md), not from the
# library; they are regenerated here so one command refreshes everything hosts ship. Their
# freshness is checked by `cargo test -p netid-i18n` (tests/host_strings.rs).
cargo run --quiet -p netid-i18n --bin gen-host-strings --locked -- "$dest_root" >/dev/null
if [ -z "$out_root" ]; then
  echo "gen-bindings: regenerated ${managed_dirs[*]} and the Android/iOS string resources"
fi
