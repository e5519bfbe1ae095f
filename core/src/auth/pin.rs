//! The optional wallet PIN: its format, its key derivation, and the PIN layer that seals the
//! store's data key under it.
//!
//! A PIN is stretched with Argon2id (OWASP-grade cost by default) with a secret derived from the
//! key wrapper's answer, and the result seals the data key ([`PinLayer`]): with a PIN set, the data
//! key does not exist at rest in any form the key wrapper alone can open. This module must never
//! store, log or print a PIN or a derived key, and never count attempts (that is `auth::Auth`,
//! which reserves the attempt durably before it asks this module).

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Fewest digits a PIN may have.
pub const MIN_PIN_DIGITS: usize = 6;
/// Most digits a PIN may have (bounds the work an input can cause).
pub const MAX_PIN_DIGITS: usize = 64;

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

    /// Whether two typed PINs are the same (a "repeat the PIN" check), in constant time for
    /// equal lengths.
    pub fn same_as(&self, other: &Pin) -> bool {
        self.as_bytes().len() == other.as_bytes().len()
            && self
                .as_bytes()
                .iter()
                .zip(other.as_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
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

/// PIN stretching failed (Argon2 refused the parameters or could not allocate).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the PIN could not be checked: the key derivation failed ({0})")]
pub struct PinDerivationError(&'static str);

/// A stored PIN layer that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the stored PIN layer is damaged ({what})")]
pub struct CorruptPinLayer {
    /// Which part is wrong.
    pub what: &'static str,
}

const LAYER_MAGIC: &[u8; 4] = b"NIDP";
const LAYER_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const SEALED_LEN: usize = 32 + 16;
const LAYER_LEN: usize = 4 + 1 + 16 + 12 + NONCE_LEN + SEALED_LEN;
const ARGON2_SECRET_LABEL: &[u8] = b"netid wallet PIN: Argon2 secret v1";
const LAYER_KEY_LABEL: &[u8] = b"netid wallet PIN: layer key v1";
const LAYER_AAD: &[u8] = b"netid wallet PIN layer v1\0";

#[cfg(feature = "test-support")]
static DERIVATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Test-support: how many PIN derivations (Argon2id runs) this process has made, so a test can
/// prove how many guesses were really evaluated.
#[cfg(feature = "test-support")]
pub fn derivations_run() -> u64 {
    DERIVATIONS.load(std::sync::atomic::Ordering::SeqCst)
}

/// The data key sealed under the PIN: what makes the PIN a factor of the key, not a check.
///
/// `layer key = HMAC(Argon2id(PIN, salt, secret = HMAC(unwrap secret, label)), label)`, where the
/// *unwrap secret* is what the key wrapper (OS key store, host key store) returns for this wallet.
/// The data key is sealed with XChaCha20-Poly1305 under the layer key, the salt and cost as
/// associated data. So the key wrapper alone opens nothing, the files alone give nothing to guess
/// against, and a guess needs the wrapper's answer plus one Argon2id run. The AEAD tag is the PIN
/// check: no separate verifier is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PinLayer {
    salt: [u8; 16],
    params: PinParams,
    nonce: [u8; NONCE_LEN],
    sealed: [u8; SEALED_LEN],
}

impl fmt::Debug for PinLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinLayer")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn layer_key(
    pin: &Pin,
    unwrap_secret: &[u8; 32],
    salt: &[u8; 16],
    params: PinParams,
) -> Result<Zeroizing<[u8; 32]>, PinDerivationError> {
    let argon2_params = params
        .to_argon2()
        .ok_or(PinDerivationError("invalid Argon2 parameters"))?;
    let mut secret_mac = <HmacSha256 as Mac>::new_from_slice(unwrap_secret)
        .map_err(|_| PinDerivationError("unwrap secret rejected"))?;
    secret_mac.update(ARGON2_SECRET_LABEL);
    let argon2_secret = Zeroizing::new(<[u8; 32]>::from(secret_mac.finalize().into_bytes()));
    let argon2 = Argon2::new_with_secret(
        argon2_secret.as_slice(),
        Algorithm::Argon2id,
        Version::V0x13,
        argon2_params,
    )
    .map_err(|_| PinDerivationError("Argon2 secret rejected"))?;
    let mut derived = Zeroizing::new([0u8; 32]);
    #[cfg(feature = "test-support")]
    DERIVATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    argon2
        .hash_password_into(pin.as_bytes(), salt, derived.as_mut_slice())
        .map_err(|_| PinDerivationError("Argon2id failed"))?;
    let mut mac = <HmacSha256 as Mac>::new_from_slice(derived.as_slice())
        .map_err(|_| PinDerivationError("derived key rejected"))?;
    mac.update(LAYER_KEY_LABEL);
    Ok(Zeroizing::new(<[u8; 32]>::from(
        mac.finalize().into_bytes(),
    )))
}

fn associated_data(salt: &[u8; 16], params: PinParams) -> Vec<u8> {
    let mut aad = LAYER_AAD.to_vec();
    aad.extend_from_slice(salt);
    aad.extend_from_slice(&params.memory_kib.to_be_bytes());
    aad.extend_from_slice(&params.iterations.to_be_bytes());
    aad.extend_from_slice(&params.parallelism.to_be_bytes());
    aad
}

impl PinLayer {
    /// Seals `data_key` under `pin` and the wrapper's `unwrap_secret`, with a fresh salt.
    pub fn seal(
        pin: &Pin,
        unwrap_secret: &[u8; 32],
        data_key: &[u8; 32],
        params: PinParams,
    ) -> Result<Self, PinDerivationError> {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let key = layer_key(pin, unwrap_secret, &salt, params)?;
        let sealed = XChaCha20Poly1305::new(key.as_slice().into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: data_key,
                    aad: &associated_data(&salt, params),
                },
            )
            .map_err(|_| PinDerivationError("sealing failed"))?;
        let sealed = <[u8; SEALED_LEN]>::try_from(sealed.as_slice())
            .map_err(|_| PinDerivationError("sealing failed"))?;
        Ok(Self {
            salt,
            params,
            nonce,
            sealed,
        })
    }

    /// The data key if `pin` is the PIN this layer was sealed with; `None` for a wrong PIN.
    pub fn open(
        &self,
        pin: &Pin,
        unwrap_secret: &[u8; 32],
    ) -> Result<Option<Zeroizing<[u8; 32]>>, PinDerivationError> {
        let key = layer_key(pin, unwrap_secret, &self.salt, self.params)?;
        let Ok(plain) = XChaCha20Poly1305::new(key.as_slice().into()).decrypt(
            XNonce::from_slice(&self.nonce),
            Payload {
                msg: &self.sealed,
                aad: &associated_data(&self.salt, self.params),
            },
        ) else {
            return Ok(None);
        };
        let plain = Zeroizing::new(plain);
        let mut out = Zeroizing::new([0u8; 32]);
        if plain.len() != out.len() {
            return Ok(None);
        }
        out.copy_from_slice(&plain);
        Ok(Some(out))
    }

    /// The cost this layer was made with.
    pub fn params(&self) -> PinParams {
        self.params
    }

    /// The stored form: `"NIDP" | 1 | salt(16) | memory, passes, lanes (u32 BE each) | nonce(24) |
    /// sealed data key + tag(48)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LAYER_LEN);
        out.extend_from_slice(LAYER_MAGIC);
        out.push(LAYER_VERSION);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.params.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.params.iterations.to_be_bytes());
        out.extend_from_slice(&self.params.parallelism.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.sealed);
        out
    }

    /// Reads [`Self::to_bytes`] back; costs outside the accepted range are refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CorruptPinLayer> {
        let corrupt = |what| CorruptPinLayer { what };
        if bytes.len() != LAYER_LEN {
            return Err(corrupt("wrong length"));
        }
        let (magic, rest) = bytes.split_at(4);
        if magic != LAYER_MAGIC {
            return Err(corrupt("not a netid PIN layer"));
        }
        let (version, rest) = rest.split_at(1);
        if version != [LAYER_VERSION] {
            return Err(corrupt("written by a newer netid version"));
        }
        let (salt, rest) = rest.split_at(16);
        let (memory, rest) = rest.split_at(4);
        let (passes, rest) = rest.split_at(4);
        let (lanes, rest) = rest.split_at(4);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let word = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap_or_default());
        let params = PinParams::from_stored(word(memory), word(passes), word(lanes))
            .filter(|p| p.memory_kib <= MAX_MEMORY_KIB && p.iterations <= MAX_PASSES)
            .ok_or(corrupt("PIN cost out of range"))?;
        Ok(Self {
            salt: salt.try_into().map_err(|_| corrupt("wrong length"))?,
            params,
            nonce: nonce.try_into().map_err(|_| corrupt("wrong length"))?,
            sealed: sealed.try_into().map_err(|_| corrupt("wrong length"))?,
        })
    }
}

/// Costs above these are refused when read back, so a planted layer cannot make every unlock
/// allocate gigabytes.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_PASSES: u32 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_opens_only_with_its_pin_and_secret() {
        let pin = Pin::new("246810").unwrap();
        let secret = [5u8; 32];
        let data_key = [9u8; 32];
        let layer =
            PinLayer::seal(&pin, &secret, &data_key, PinParams::INSECURE_FAST_FOR_TESTS).unwrap();
        let read = PinLayer::from_bytes(&layer.to_bytes()).unwrap();
        assert_eq!(*read.open(&pin, &secret).unwrap().unwrap(), data_key);
        assert!(
            read.open(&Pin::new("246811").unwrap(), &secret)
                .unwrap()
                .is_none()
        );
        assert!(read.open(&pin, &[6u8; 32]).unwrap().is_none());
        let mut bytes = layer.to_bytes();
        bytes[30] ^= 1;
        assert!(
            PinLayer::from_bytes(&bytes).is_err() || {
                let damaged = PinLayer::from_bytes(&bytes).unwrap();
                damaged.open(&pin, &secret).unwrap().is_none()
            }
        );
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
    }
}
