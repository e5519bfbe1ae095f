//! netid-core: everything the netid wallet and the counter verifier do, as plain Rust.
//!
//! This crate knows nothing of FFI, networking or user interfaces: bytes from issuers and status
//! services come in through its API, and the host app (through `netid-ffi`) or the `netid` command
//! owns transport and presentation. Each module owns one concept; see DESIGN in `README.md`.
#![forbid(unsafe_code)]

/// The netid core release (the Cargo package version), reported to host apps through the FFI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
#[cfg(feature = "attestation-verify")]
pub mod attestation;
pub mod auth;
pub mod base45;
pub mod block_on;
pub mod counter;
pub mod credential;
pub mod issuer;
pub mod keystore;
pub mod present;
pub mod qr;
pub mod secure_area;
pub mod signature;
pub mod status;
pub mod store;
pub mod time;
pub mod verify;
pub mod wallet;
