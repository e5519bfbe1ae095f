//! The store's data key and the ways it is kept at rest.
//!
//! This module owns [`DataKey`] (the random 256-bit key that encrypts every store record), the
//! [`KeyWrapper`] trait that turns it into a [`WrappedKey`] safe to write next to the database and
//! back, and the built-in wrappers: the operating system's key store ([`OsKeyStore`]), an explicit
//! passphrase ([`PassphraseKeyStore`]), and, for tests only, an in-memory wrapper. It never writes
//! a plain data key or key-encryption key anywhere, never prints key bytes (no `Debug` shows them)
//! and never puts key material into an error.

mod kek;
#[cfg(any(test, feature = "test-support"))]
mod memory;
mod os;
mod passphrase;

#[cfg(any(test, feature = "test-support"))]
pub use memory::{InMemoryKeyWrapper, MemoryAnchors};
pub use os::{OsKeyStore, SERVICE};
pub use passphrase::{Argon2Cost, Passphrase, PassphraseKeyStore};

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

/// Length of a data key in bytes.
pub const DATA_KEY_LEN: usize = 32;

/// The random 256-bit key that encrypts every record of one store.
///
/// It exists in plain form only in memory, inside a buffer wiped on drop; at rest it is always a
/// [`WrappedKey`]. `Debug` prints nothing of the key.
pub struct DataKey(Zeroizing<[u8; DATA_KEY_LEN]>);

impl DataKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<Self, KeyStoreError> {
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// Adopts key bytes produced elsewhere, e.g. by a host key store that unwrapped them.
    pub fn from_bytes(bytes: Zeroizing<[u8; DATA_KEY_LEN]>) -> Self {
        Self(bytes)
    }

    /// The key bytes, for a [`KeyWrapper`] implementation to encrypt. Never log or persist them.
    pub fn expose_secret(&self) -> &[u8; DATA_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

/// Which kind of wrapper produced a [`WrappedKey`]; recorded in the blob so a store opened with
/// the wrong kind of wrapper gets a clear error instead of a failed decryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WrapperKind {
    /// A key-encryption key held by the operating system's key store (keyring family).
    OsKeyStore,
    /// A key-encryption key derived from a passphrase with Argon2id.
    Passphrase,
    /// A key-encryption key held only in memory (tests).
    InMemory,
    /// A key store implemented by the host app (Android Keystore, iOS Keychain) through FFI.
    Host,
}

impl WrapperKind {
    fn code(self) -> u8 {
        match self {
            Self::OsKeyStore => 1,
            Self::Passphrase => 2,
            Self::InMemory => 3,
            Self::Host => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::OsKeyStore),
            2 => Some(Self::Passphrase),
            3 => Some(Self::InMemory),
            4 => Some(Self::Host),
            _ => None,
        }
    }
}

impl std::fmt::Display for WrapperKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OsKeyStore => "the operating system key store",
            Self::Passphrase => "a passphrase",
            Self::InMemory => "an in-memory test key",
            Self::Host => "the host app's key store",
        })
    }
}

const WRAPPED_MAGIC: &[u8; 4] = b"NIDK";
const WRAPPED_FORMAT: u8 = 1;
const WRAPPED_PREFIX_LEN: usize = WRAPPED_MAGIC.len() + 2;

/// A data key encrypted by a [`KeyWrapper`]: safe to store beside the database.
///
/// Encoded as `"NIDK" | format | kind | body`, where the body belongs to the wrapper that made it.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    kind: WrapperKind,
    body: Vec<u8>,
}

impl WrappedKey {
    /// A wrapped key with a wrapper-specific body (host wrappers put their own ciphertext here).
    pub fn new(kind: WrapperKind, body: Vec<u8>) -> Self {
        Self { kind, body }
    }

    /// Parses the encoding written by [`WrappedKey::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyStoreError> {
        let (prefix, body) = bytes.split_at_checked(WRAPPED_PREFIX_LEN).ok_or(
            KeyStoreError::MalformedWrappedKey("shorter than its header"),
        )?;
        let (magic, rest) = prefix.split_at(WRAPPED_MAGIC.len());
        if magic != WRAPPED_MAGIC {
            return Err(KeyStoreError::MalformedWrappedKey(
                "not a netid wrapped key",
            ));
        }
        match rest {
            [WRAPPED_FORMAT, kind] => {
                let kind = WrapperKind::from_code(*kind)
                    .ok_or(KeyStoreError::MalformedWrappedKey("unknown wrapper kind"))?;
                Ok(Self {
                    kind,
                    body: body.to_vec(),
                })
            }
            _ => Err(KeyStoreError::MalformedWrappedKey(
                "written by a newer netid version",
            )),
        }
    }

    /// The encoding to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WRAPPED_PREFIX_LEN + self.body.len());
        out.extend_from_slice(WRAPPED_MAGIC);
        out.push(WRAPPED_FORMAT);
        out.push(self.kind.code());
        out.extend_from_slice(&self.body);
        out
    }

    /// The wrapper kind that produced this key.
    pub fn kind(&self) -> WrapperKind {
        self.kind
    }

    /// The wrapper-specific body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Fails with [`KeyStoreError::WrongWrapperKind`] unless this key was made by `expected`.
    pub fn expect_kind(&self, expected: WrapperKind) -> Result<&[u8], KeyStoreError> {
        if self.kind == expected {
            Ok(&self.body)
        } else {
            Err(KeyStoreError::WrongWrapperKind {
                wrapped_by: self.kind,
                offered: expected,
            })
        }
    }
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedKey")
            .field("kind", &self.kind)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Keeps the data key at rest: encrypts it under a key the wrapper guards, and decrypts it again.
///
/// Implementations must fail with [`KeyStoreError::KeyUnavailable`] when the guarding key is
/// missing or wrong, and must never return key bytes in an error.
pub trait KeyWrapper: Send + Sync {
    /// The kind recorded in the wrapped keys this wrapper makes.
    fn kind(&self) -> WrapperKind;
    /// Encrypts `data_key` for storage.
    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError>;
    /// Recovers the data key from `wrapped`.
    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError>;
    /// Deletes whatever the key store keeps for `wrapped` (a wallet is deleted, or its creation
    /// failed), so that `wrapped` can never be opened again. Wrappers that keep nothing per key
    /// (a passphrase) have nothing to do.
    fn forget(&self, wrapped: &WrappedKey) -> Result<(), KeyStoreError> {
        let _ = wrapped;
        Ok(())
    }
    /// Whether every [`Self::wrap`] makes its own key-store entry, so [`Self::forget`] of an older
    /// wrapped key leaves newer ones openable. The wallet forgets the old wrapped key after a PIN
    /// change only then; a wrapper with one key per wallet (the host's) must not be asked to
    /// forget it while the wallet lives.
    fn one_entry_per_wrap(&self) -> bool {
        false
    }
    /// Where this key store can keep the wallet's rollback anchors *outside the wallet
    /// directory* (the attempt state and the store generation), so restoring an old copy of the
    /// directory is noticed. `None` (the default, and the passphrase wrapper's answer): nothing
    /// outside the directory exists, and such a restore cannot be detected.
    fn anchors(&self) -> Option<std::sync::Arc<dyn AnchorStore>> {
        None
    }
}

/// Small values kept beside the key store's keys and, like them, outside the wallet directory and
/// out of backups (Secret Service on desktop, Keychain `ThisDeviceOnly` items, Android no-backup
/// storage): the wallet's rollback anchors. Values hold counts, times and generations, never a
/// secret or personal data. A name is `netid-anchor-<kind>-<wallet id>`.
pub trait AnchorStore: Send + Sync {
    /// The value saved under `name`, if any.
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, KeyStoreError>;
    /// Saves `value` under `name`, durably, replacing what was there.
    fn save(&self, name: &str, value: &[u8]) -> Result<(), KeyStoreError>;
    /// Deletes the value under `name`; absent is fine.
    fn forget(&self, name: &str) -> Result<(), KeyStoreError>;
}

/// Why the data key could not be recovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unavailable {
    /// The key store has no key for this wallet (deleted, or never created on this device).
    Missing,
    /// The key store's key does not open this wrapped key (wrong passphrase, another device's key).
    Wrong,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => {
                "the key store holds no key for this wallet (it was deleted or belongs to another device); restore the key store or re-enrol"
            }
            Self::Wrong => {
                "the key does not open this wallet (wrong passphrase, or a key from another wallet); check the passphrase or key store"
            }
        })
    }
}

/// Errors from wrapping and unwrapping the data key. None carries key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// The data key cannot be recovered.
    #[error("data key unavailable: {0}")]
    KeyUnavailable(Unavailable),
    /// The wrapped key was made by a different kind of wrapper than the one offered.
    #[error(
        "the data key was wrapped by {wrapped_by} but {offered} was offered; open the wallet with the key store it was created with"
    )]
    WrongWrapperKind {
        /// The kind recorded in the wrapped key.
        wrapped_by: WrapperKind,
        /// The kind of the wrapper that was offered.
        offered: WrapperKind,
    },
    /// The wrapped key's encoding is damaged or from an unknown version.
    #[error("the stored wrapped data key is malformed: {0}")]
    MalformedWrappedKey(&'static str),
    /// The platform key store could not be reached or refused the operation.
    #[error("the platform key store failed ({0}); make sure it is running and unlocked")]
    PlatformStore(String),
    /// The passphrase is not acceptable.
    #[error("passphrase rejected: {0}")]
    WeakPassphrase(&'static str),
    /// Argon2 parameters are outside the accepted range.
    #[error("passphrase key derivation parameters rejected: {0}")]
    KeyDerivation(&'static str),
    /// The operating system's random number generator failed.
    #[error(
        "the operating system random number generator failed; retry, and report it if it persists"
    )]
    Randomness,
}

/// Fills `out` from the operating system's random number generator.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<(), KeyStoreError> {
    OsRng
        .try_fill_bytes(out)
        .map_err(|_| KeyStoreError::Randomness)
}
