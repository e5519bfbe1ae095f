#!/usr/bin/env bash
# Builds ios/NetIDWalletFFI.xcframework, the binary target of ios/Package.swift:
#   ios-arm64                     device          (aarch64-apple-ios)
#   ios-arm64_x86_64-simulator    simulator       (aarch64-apple-ios-sim + x86_64-apple-ios, lipo)
# each slice holding the release static library libnetid_ffi.a and, in Headers/NetIDWalletFFI/,
# the generated C header NetIDWalletFFI.h and its module map (as module.modulemap, the name Clang
# looks for: in a header search directory, or in its subdirectory named after the module).
#
# Why the subdirectory: Xcode copies every library XCFramework's Headers/ into one shared
# include/ directory of the build, so two Rust XCFrameworks that both ship Headers/module.modulemap
# fail with "Multiple commands produce .../include/module.modulemap" (the known uniffi pitfall;
# e.g. boltffi issue #77, FluidInference/text-processing-rs pull request #87). Under
# Headers/NetIDWalletFFI/ ours cannot collide.
#
# Needs macOS with Xcode 16+ (xcodebuild, lipo) and rustup. Refuses to run when the committed
# bindings are stale, so the header in the XCFramework always matches the Swift sources beside it.
#
# Usage: ios/build-xcframework.sh [--zip]   (--zip also writes the .zip and its SwiftPM checksum,
#                                            for publishing the package with a remote binaryTarget)
set -euo pipefail
cd "$(dirname "$0")/.."

zip=false
case "${1:-}" in
  "") ;;
  --zip) zip=true ;;
  *) echo "usage: $0 [--zip]" >&2; exit 2 ;;
esac

if [ "$(uname -s)" != Darwin ] || ! command -v xcodebuild >/dev/null 2>&1; then
  echo "build-xcframework: needs macOS with Xcode (xcodebuild, lipo)" >&2
  exit 1
fi

# Keep in step with `platforms` in ios/Package.swift: rustc and the C compiler (for the bundled
# SQLite) build for this minimum iOS version.
export IPHONEOS_DEPLOYMENT_TARGET=15.0

device_target=aarch64-apple-ios
simulator_targets=(aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "$device_target" "${simulator_targets[@]}"

scripts/check-bindings-current.sh

target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

# Only the static library: an iOS app links the core statically (App Store apps cannot ship
# arbitrary dylibs outside frameworks), and skipping the cdylib saves a link per target.
for target in "$device_target" "${simulator_targets[@]}"; do
  cargo rustc --release --locked -p netid-ffi --lib --crate-type staticlib --target "$target"
done

staging="$target_dir/netid-xcframework"
rm -rf "$staging"
mkdir -p "$staging/headers/NetIDWalletFFI" "$staging/device" "$staging/simulator"
cp ios/Generated/NetIDWalletFFI/NetIDWalletFFI.h "$staging/headers/NetIDWalletFFI/"
# The module map names its header relative to itself ("NetIDWalletFFI.h"), so both move together.
cp ios/Generated/NetIDWalletFFI/NetIDWalletFFI.modulemap "$staging/headers/NetIDWalletFFI/module.modulemap"

cp "$target_dir/$device_target/release/libnetid_ffi.a" "$staging/device/"
simulator_libs=()
for target in "${simulator_targets[@]}"; do
  simulator_libs+=("$target_dir/$target/release/libnetid_ffi.a")
done
lipo -create "${simulator_libs[@]}" -output "$staging/simulator/libnetid_ffi.a"

output=ios/NetIDWalletFFI.xcframework
rm -rf "$output"
xcodebuild -create-xcframework \
  -library "$staging/device/libnetid_ffi.a" -headers "$staging/headers" \
  -library "$staging/simulator/libnetid_ffi.a" -headers "$staging/headers" \
  -output "$output"
for slice in "$output"/*/; do
  if [ -e "$slice/Headers/module.modulemap" ] || [ ! -f "$slice/Headers/NetIDWalletFFI/module.modulemap" ]; then
    echo "build-xcframework: $slice must have Headers/NetIDWalletFFI/module.modulemap and no Headers/module.modulemap" >&2
    exit 1
  fi
done
echo "build-xcframework: wrote $output"

if [ "$zip" = true ]; then
  rm -f "$output.zip"
  (cd ios && ditto -c -k --sequesterRsrc --keepParent NetIDWalletFFI.xcframework NetIDWalletFFI.xcframework.zip)
  echo "build-xcframework: wrote $output.zip, checksum $(swift package compute-checksum "$output.zip")"
fi
