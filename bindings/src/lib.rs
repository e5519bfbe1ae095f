//! netid-ffi: the uniffi surface of netid-core for the Kotlin and Swift wallet apps.
//!
//! This crate owns the translation between FFI types and core types, and nothing else: every
//! decision (cryptography, storage, policy) lives in `netid-core`. It must never expose a secret
//! across the boundary, never put personal data in an error message, and never let a panic
//! unwind into host code. Bindings are generated from the compiled library by
//! `scripts/gen-bindings.sh`; the generated Kotlin and Swift are committed and never edited.
//!
//! Today the surface is deliberately thin: only what genuinely works end to end.

uniffi::setup_scaffolding!("netid_ffi");

/// The version of the netid core compiled into this library (the Cargo package version).
///
/// Host apps show it in "About" screens and attach it to support reports, so a problem can be
/// matched to the exact core release the phone runs.
#[uniffi::export]
pub fn library_version() -> String {
    netid_core::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_version_is_the_core_package_version() {
        assert_eq!(library_version(), netid_core::VERSION);
        assert_eq!(library_version(), env!("CARGO_PKG_VERSION"));
        assert!(!library_version().is_empty());
    }
}
