//! Link settings that must hold however the library is built (cargo-ndk, Gradle, by hand).

fn main() {
    // Android 15+ devices may use 16 KB memory pages; Google Play requires native libraries whose
    // LOAD segments are aligned for them. NDK r28+ does this by default, r27 does not, so ask for
    // it explicitly. Harmless on 4 KB devices and on 32-bit ABIs.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("android") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,max-page-size=16384");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
