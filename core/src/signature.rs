//! Signature verification: the one place a COSE ECDSA signature (raw `r ‖ s`, ES256, and ES384
//! with the feature `es384`) is checked over a message with an already parsed public key.
//!
//! This module owns the choice of implementation. [`rustcrypto_backend`] (the `p256` and `p384`
//! crates, pure Rust) is always compiled and is what every build uses by default, the FFI library
//! included, whose size budget has no room for a second implementation. With the feature
//! `fast-verify` (servers), [`ring_backend`] (ring: assembly P-256, P-384 in C; several times
//! faster) is compiled too and becomes [`Backend::DEFAULT`]. Both give the same verdict on every
//! input: exactly 64 (ES256) or 96 (ES384) bytes, `r` and `s` in `[1, n − 1]`, high `s` accepted
//! (the format does not require low-S; replay identity never depends on signature bytes), and
//! `core/tests/verify_backends.rs` holds them to that. Keys are parsed, and invalid points
//! refused, by the `p256`/`p384` crates before they get here, whichever backend runs.
//!
//! It must never accept a signature in another encoding (DER, a different length), never verify
//! a P-256 key under ES384 or the reverse (callers match the algorithm to the key's curve), and
//! never report why a signature failed: a verdict is a `bool`, so no backend's error detail can
//! leak into a message.

/// An implementation of ECDSA verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The `p256`/`p384` crates: pure Rust, small; the default without `fast-verify`.
    RustCrypto,
    /// ring (assembly P-256, P-384 in C): the default with `fast-verify`.
    #[cfg(feature = "fast-verify")]
    Ring,
}

impl Backend {
    /// What this build verifies with: ring with `fast-verify`, the `p256`/`p384` crates without.
    #[cfg(feature = "fast-verify")]
    pub const DEFAULT: Self = Self::Ring;
    /// What this build verifies with: ring with `fast-verify`, the `p256`/`p384` crates without.
    #[cfg(not(feature = "fast-verify"))]
    pub const DEFAULT: Self = Self::RustCrypto;

    /// Every backend compiled into this build, the default last.
    pub const ALL: &'static [Self] = &[
        Self::RustCrypto,
        #[cfg(feature = "fast-verify")]
        Self::Ring,
    ];

    /// Whether `signature` (ES256: ECDSA P-256 with SHA-256, `r ‖ s`) over `message` verifies
    /// under `key`.
    pub fn verify_es256(
        self,
        key: &p256::ecdsa::VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match self {
            Self::RustCrypto => rustcrypto_backend::verify_es256(key, message, signature),
            #[cfg(feature = "fast-verify")]
            Self::Ring => ring_backend::verify_es256(key, message, signature),
        }
    }

    /// Whether `signature` (ES384: ECDSA P-384 with SHA-384, `r ‖ s`) over `message` verifies
    /// under `key`.
    #[cfg(feature = "es384")]
    pub fn verify_es384(
        self,
        key: &p384::ecdsa::VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match self {
            Self::RustCrypto => rustcrypto_backend::verify_es384(key, message, signature),
            #[cfg(feature = "fast-verify")]
            Self::Ring => ring_backend::verify_es384(key, message, signature),
        }
    }
}

/// The `p256`/`p384` crates (RustCrypto).
pub mod rustcrypto_backend {
    use p256::ecdsa::signature::Verifier as _;

    /// ES256 verification. `Signature::from_slice` is where a wrong length and `r` or `s`
    /// outside `[1, n − 1]` are refused; high `s` is accepted.
    pub fn verify_es256(key: &p256::ecdsa::VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
        p256::ecdsa::Signature::from_slice(signature)
            .is_ok_and(|signature| key.verify(message, &signature).is_ok())
    }

    /// ES384 verification, with the same rules as [`verify_es256`].
    #[cfg(feature = "es384")]
    pub fn verify_es384(key: &p384::ecdsa::VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
        p384::ecdsa::Signature::from_slice(signature)
            .is_ok_and(|signature| key.verify(message, &signature).is_ok())
    }
}

/// ring's ECDSA with fixed-size (`r ‖ s`) signatures, which refuses a wrong length and `r` or
/// `s` outside `[1, n − 1]` and accepts high `s`, like [`rustcrypto_backend`].
#[cfg(feature = "fast-verify")]
pub mod ring_backend {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    /// ES256 verification. The key is handed to ring as its uncompressed SEC1 point; encoding an
    /// already decoded point is a few field operations, far below a verification, so nothing is
    /// cached (`cargo bench --bench signature` measures it as `p256_key_to_uncompressed`).
    pub fn verify_es256(key: &p256::ecdsa::VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
        let point = key.to_encoded_point(false);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point.as_bytes())
            .verify(message, signature)
            .is_ok()
    }

    /// ES384 verification, with the same rules as [`verify_es256`].
    #[cfg(feature = "es384")]
    pub fn verify_es384(key: &p384::ecdsa::VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
        use ring::signature::ECDSA_P384_SHA384_FIXED;
        let point = key.to_encoded_point(false);
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point.as_bytes())
            .verify(message, signature)
            .is_ok()
    }
}
