#!/usr/bin/env bash
# Builds libnetid_ffi.so (release) for the Android ABIs with cargo-ndk, into OUT/<abi>/, and fails
# unless every LOAD segment of every library is aligned for 16 KB pages. Called by the Gradle task
# cargoNdkBuild; can be run by hand with ANDROID_NDK_HOME set (or an NDK under ANDROID_HOME/ndk).
#
# Usage: android/build-rust.sh --out DIR [--platform API_LEVEL]
set -euo pipefail
cd "$(dirname "$0")/.."

out=""
platform=28
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --platform) platform="${2:?--platform needs an API level}"; shift 2 ;;
    *) echo "usage: $0 --out DIR [--platform API_LEVEL]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "usage: $0 --out DIR [--platform API_LEVEL]" >&2; exit 2; }

abis=(arm64-v8a armeabi-v7a x86_64)
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)

command -v cargo-ndk >/dev/null 2>&1 || {
  echo "build-rust: cargo-ndk is missing: cargo install cargo-ndk --version ~3.5 --locked" >&2
  exit 1
}
missing=()
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || missing+=("$t")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build-rust: rustup target add ${missing[*]}" >&2
  rustup target add "${missing[@]}"
fi

ndk_args=()
for abi in "${abis[@]}"; do
  ndk_args+=(-t "$abi")
done
# The 16 KB link flag comes from bindings/build.rs, so it applies however cargo is invoked.
cargo ndk "${ndk_args[@]}" --platform "$platform" -o "$out" build --release --locked -p netid-ffi

ndk_root="${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}"
if [ -z "$ndk_root" ] && [ -n "${ANDROID_HOME:-}" ] && [ -d "$ANDROID_HOME/ndk" ]; then
  ndk_root=$(find "$ANDROID_HOME/ndk" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -n 1)
fi
readelf=$(find "$ndk_root/toolchains/llvm/prebuilt" -name llvm-readelf -type f 2>/dev/null | head -n 1)
[ -n "$readelf" ] || readelf=$(command -v llvm-readelf || command -v readelf || true)
if [ -z "$readelf" ]; then
  echo "build-rust: no llvm-readelf (NDK) or readelf found; cannot verify 16 KB alignment" >&2
  exit 1
fi
# Fails unless the library has LOAD segments and every one is aligned to at least 16 KB.
check_16k_alignment() {
  local lib=$1 aligns align
  aligns=$("$readelf" -lW "$lib" | awk '$1 == "LOAD" { print $NF }')
  [ -n "$aligns" ] || return 1
  for align in $aligns; do
    [ $((align)) -ge 16384 ] || return 1
  done
}

for abi in "${abis[@]}"; do
  lib="$out/$abi/libnetid_ffi.so"
  [ -f "$lib" ] || { echo "build-rust: cargo-ndk produced no $lib" >&2; exit 1; }
  if check_16k_alignment "$lib"; then
    echo "build-rust: $abi/libnetid_ffi.so LOAD segments are 16 KB aligned"
  else
    echo "build-rust: $abi/libnetid_ffi.so is not 16 KB aligned (see readelf -lW)" >&2
    exit 1
  fi
done
