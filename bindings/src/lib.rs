//! netid-ffi: the uniffi surface of netid-core for the Kotlin and Swift wallet apps.
//!
//! This crate owns the translation between FFI types and core types, and nothing else: every
//! decision (cryptography, storage, policy) lives in `netid-core`. It must never expose a secret
//! across the boundary except the data key a host [`KeyWrapper`] is asked to wrap, never put
//! personal data in an error message, and never let a panic unwind into host code (uniffi turns
//! one into an internal error; none is expected). Bindings are generated from the compiled library
//! by `scripts/gen-bindings.sh`; the generated Kotlin and Swift are committed and never edited.
//!
//! The surface: [`Wallet`] (the resident's side), [`Verifier`] and [`TrustList`] (the counter's
//! side), [`Presentation`] (a shown code), the host-implemented traits [`KeyWrapper`],
//! [`SecureArea`] and [`UserAuthenticator`], one error enum per surface, and with the
//! `dev-issuer` feature the development issuer.
//!
//! The library's global allocator wipes every block it frees (`wipe_on_free`), so the copies of
//! the data key, the PIN and claims that uniffi makes and frees itself do not survive in memory.

mod cancel;
mod counter;
#[cfg(feature = "dev-issuer")]
mod dev_issuer;
mod error;
mod host;
mod live;
mod log;
mod offload;
mod presentation;
mod types;
mod verifier;
mod wallet;
mod wipe_on_free;

pub use counter::{CounterConsent, CounterRequest, CounterSigner, IssuedRequest};
#[cfg(feature = "dev-issuer")]
pub use dev_issuer::{
    AttestationRefusal, DevAppAttestCa, DevAttestationCa, DevCounterKeys, DevIssuer, DevRegistrar,
    IssuerError, KeyRequirement, dev_sign_request_unchecked,
};
pub use error::{HostError, NextStep, RequestRefusal, VerifyError, WalletError};
pub use host::{
    CreatedKey, KeyEvidence, KeyPolicy, KeySecurityLevel, KeyWrapper, PromptReason, SecureArea,
    UnlockGrant, UnlockRequest, UserAuthenticator,
};
#[cfg(feature = "dev-issuer")]
pub use live::live_native_objects;
pub use log::{LogLevel, LogSink, set_logger};
pub use presentation::{Presentation, QrModules};
pub use types::{
    ActivityEntry, ActivityKind, AssuranceLevel, Claim, ClaimValue, DocType, DocumentDetails,
    DocumentSummary, Purpose,
};
pub use verifier::{ScanRequest, TrustList, VerifiedPresentation, Verifier, VerifierOptions};
pub use wallet::{HolderKeys, PendingEnrolment, QrRequest, Wallet, WalletOptions, destroy_wallet};

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
