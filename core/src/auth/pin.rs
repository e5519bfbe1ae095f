//! The optional wallet PIN: its format, its key derivation and its stored verifier.
//!
//! A PIN is stretched with Argon2id (OWASP-grade cost by default) with a 32-byte device secret
//! from the OS key store as the Argon2 secret, so a copied store cannot be guessed off the device.
//! What is stored is a verifier (HMAC-SHA256 keyed by the derived key over a fixed label), never
//! the derived key, and checking compares in constant time. This module must never store, log or
//! print a PIN or a derived key, and never count attempts (that is `auth::Auth`, which persists
//! the count before it asks this module).

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Fewest digits a PIN may have.
pub const MIN_PIN_DIGITS: usize = 6;
/// Most digits a PIN may have (bounds the work an input can cause).
pub const MAX_PIN_DIGITS: usize = 64;

const VERIFIER_LABEL: &[u8] = b"netid wallet PIN verifier v1";

/// Why a PIN was not accepted as a PIN (before any guessing is counted).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PinFormatError {
    /// Fewer than [`MIN_PIN_DIGITS`] digits.
    #[error("a wallet PIN needs at least {min} digits")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More than [`MAX_PIN_DIGITS`] digits.
    #[error("a wallet PIN can have at most {max} digits")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Something other than the digits 0-9.
    #[error("a wallet PIN may contain only the digits 0-9")]
    NotDigits,
}

/// A wallet PIN of 6 to 64 ASCII digits, zeroized on drop and never printed.
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Checks the format of a typed PIN.
    pub fn new(typed: &str) -> Result<Self, PinFormatError> {
        if !typed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinFormatError::NotDigits);
        }
        if typed.len() < MIN_PIN_DIGITS {
            return Err(PinFormatError::TooShort {
                min: MIN_PIN_DIGITS,
            });
        }
        if typed.len() > MAX_PIN_DIGITS {
            return Err(PinFormatError::TooLong {
                max: MAX_PIN_DIGITS,
            });
        }
        Ok(Self(Zeroizing::new(typed.to_owned())))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// The 32-byte secret from the OS key store mixed into PIN stretching. Zeroized on drop.
pub struct DeviceSecret(Zeroizing<[u8; 32]>);

impl DeviceSecret {
    /// Wraps the secret bytes.
    pub fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// A fresh random secret, to be stored in the OS key store when the wallet is created.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut_slice());
        Self(bytes)
    }

    /// The bytes, for storing in the key store.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSecret(<redacted>)")
    }
}

/// Argon2id cost. Stored with each verifier, so raising the default later does not lock out
/// existing PINs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl PinParams {
    /// The default: 64 MiB, 3 passes, 1 lane, above OWASP's Argon2id minimum (19 MiB, 2, 1).
    pub const RECOMMENDED: Self = Self {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Deliberately cheap parameters so tests run in milliseconds. Never use for a real PIN.
    pub const INSECURE_FAST_FOR_TESTS: Self = Self {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Memory cost in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Number of passes.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Lanes.
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }

    /// Parameters read back from storage; `None` if Argon2 would reject them.
    pub(crate) fn from_stored(memory_kib: u32, iterations: u32, parallelism: u32) -> Option<Self> {
        let params = Self {
            memory_kib,
            iterations,
            parallelism,
        };
        params.to_argon2().map(|_| params)
    }

    fn to_argon2(self) -> Option<Params> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32)).ok()
    }
}

/// What is stored for a PIN: salt, cost and verifier. Reveals nothing usable without the device
/// secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PinVerifier {
    pub(crate) salt: [u8; 16],
    pub(crate) params: PinParams,
    pub(crate) verifier: [u8; 32],
}

impl fmt::Debug for PinVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinVerifier")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// PIN stretching failed (Argon2 refused the parameters or could not allocate).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the PIN could not be checked: the key derivation failed ({0})")]
pub struct PinDerivationError(&'static str);

fn verifier_mac(
    pin: &Pin,
    device_secret: &DeviceSecret,
    salt: &[u8; 16],
    params: PinParams,
) -> Result<HmacSha256, PinDerivationError> {
    let argon2_params = params
        .to_argon2()
        .ok_or(PinDerivationError("invalid Argon2 parameters"))?;
    let argon2 = Argon2::new_with_secret(
        device_secret.0.as_slice(),
        Algorithm::Argon2id,
        Version::V0x13,
        argon2_params,
    )
    .map_err(|_| PinDerivationError("device secret rejected"))?;
    let mut derived = Zeroizing::new([0u8; 32]);
    argon2
        .hash_password_into(pin.as_bytes(), salt, derived.as_mut_slice())
        .map_err(|_| PinDerivationError("Argon2id failed"))?;
    let mut mac = <HmacSha256 as Mac>::new_from_slice(derived.as_slice())
        .map_err(|_| PinDerivationError("derived key rejected"))?;
    mac.update(VERIFIER_LABEL);
    Ok(mac)
}

impl PinVerifier {
    /// Derives a verifier for a new PIN with a fresh random salt.
    pub(crate) fn enrol(
        pin: &Pin,
        device_secret: &DeviceSecret,
        params: PinParams,
    ) -> Result<Self, PinDerivationError> {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let mac = verifier_mac(pin, device_secret, &salt, params)?;
        Ok(Self {
            salt,
            params,
            verifier: mac.finalize().into_bytes().into(),
        })
    }

    /// Whether `pin` is the enrolled PIN; the comparison is constant-time.
    pub(crate) fn matches(
        &self,
        pin: &Pin,
        device_secret: &DeviceSecret,
    ) -> Result<bool, PinDerivationError> {
        let mac = verifier_mac(pin, device_secret, &self.salt, self.params)?;
        Ok(mac.verify_slice(&self.verifier).is_ok())
    }

    /// The cost this verifier was made with.
    pub fn params(&self) -> PinParams {
        self.params
    }
}
