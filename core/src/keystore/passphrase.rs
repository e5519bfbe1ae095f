//! A passphrase as a [`KeyWrapper`], for machines without an operating-system key store.
//!
//! The key-encryption key is derived with Argon2id (64 MiB, 3 passes, 1 lane by default: above
//! the OWASP minimum of 19 MiB / 2 passes) from the passphrase and a random salt; salt and cost
//! are stored in the wrapped key and authenticated with it. Never chosen implicitly: a caller must
//! construct it on purpose. The passphrase and derived key are wiped on drop and never printed.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::kek::{self, KEK_LEN, Kek};
use super::{DataKey, KeyStoreError, KeyWrapper, WrappedKey, WrapperKind, fill_random};

const SALT_LEN: usize = 16;
const HEADER_LEN: usize = 12 + SALT_LEN;

/// A passphrase, wiped from memory on drop.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Shortest accepted passphrase, in characters.
    pub const MIN_CHARS: usize = 8;

    /// Accepts a passphrase of at least [`Passphrase::MIN_CHARS`] characters.
    pub fn new(passphrase: Zeroizing<String>) -> Result<Self, KeyStoreError> {
        if passphrase.chars().count() < Self::MIN_CHARS {
            return Err(KeyStoreError::WeakPassphrase("use at least 8 characters"));
        }
        Ok(Self(passphrase))
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<secret>)")
    }
}

/// Argon2id cost. Values below the OWASP minimum (19 MiB, 2 passes) are refused, as are values
/// so large that a tampered store could make unlocking exhaust memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Cost {
    memory_kib: u32,
    passes: u32,
    lanes: u32,
}

impl Argon2Cost {
    /// OWASP minimum memory, KiB.
    pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
    /// OWASP minimum passes.
    pub const MIN_PASSES: u32 = 2;
    /// Refuse more than 1 GiB: a phone would be killed first.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Refuse more than 16 passes.
    pub const MAX_PASSES: u32 = 16;
    /// Refuse more than 8 lanes.
    pub const MAX_LANES: u32 = 8;

    /// The default: 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: Self = Self {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 1,
    };

    /// A cost within the accepted range.
    pub fn new(memory_kib: u32, passes: u32, lanes: u32) -> Result<Self, KeyStoreError> {
        if !(Self::MIN_MEMORY_KIB..=Self::MAX_MEMORY_KIB).contains(&memory_kib) {
            return Err(KeyStoreError::KeyDerivation(
                "memory must be between 19 MiB and 1 GiB",
            ));
        }
        if !(Self::MIN_PASSES..=Self::MAX_PASSES).contains(&passes) {
            return Err(KeyStoreError::KeyDerivation(
                "passes must be between 2 and 16",
            ));
        }
        if !(1..=Self::MAX_LANES).contains(&lanes) {
            return Err(KeyStoreError::KeyDerivation(
                "lanes must be between 1 and 8",
            ));
        }
        Ok(Self {
            memory_kib,
            passes,
            lanes,
        })
    }
}

impl Default for Argon2Cost {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Wraps the data key under a key derived from a passphrase with Argon2id.
#[derive(Debug)]
pub struct PassphraseKeyStore {
    passphrase: Passphrase,
    cost: Argon2Cost,
}

impl PassphraseKeyStore {
    /// A passphrase wrapper with the default cost.
    pub fn new(passphrase: Passphrase) -> Self {
        Self::with_cost(passphrase, Argon2Cost::DEFAULT)
    }

    /// A passphrase wrapper with a chosen cost (used for new wraps; unwrapping uses the stored one).
    pub fn with_cost(passphrase: Passphrase, cost: Argon2Cost) -> Self {
        Self { passphrase, cost }
    }

    fn derive(&self, cost: Argon2Cost, salt: &[u8]) -> Result<Kek, KeyStoreError> {
        let params = Params::new(cost.memory_kib, cost.passes, cost.lanes, Some(KEK_LEN))
            .map_err(|_| KeyStoreError::KeyDerivation("Argon2 refused the parameters"))?;
        let mut kek: Kek = Zeroizing::new([0u8; KEK_LEN]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(self.passphrase.0.as_bytes(), salt, kek.as_mut())
            .map_err(|_| KeyStoreError::KeyDerivation("Argon2 failed (out of memory?)"))?;
        Ok(kek)
    }
}

fn encode_header(cost: Argon2Cost, salt: &[u8; SALT_LEN]) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[0..4].copy_from_slice(&cost.memory_kib.to_be_bytes());
    header[4..8].copy_from_slice(&cost.passes.to_be_bytes());
    header[8..12].copy_from_slice(&cost.lanes.to_be_bytes());
    header[12..].copy_from_slice(salt);
    header
}

fn decode_header(header: &[u8]) -> Result<(Argon2Cost, &[u8]), KeyStoreError> {
    let malformed = KeyStoreError::MalformedWrappedKey("passphrase header has the wrong length");
    if header.len() != HEADER_LEN {
        return Err(malformed);
    }
    let (m, rest) = header.split_first_chunk::<4>().ok_or(malformed)?;
    let malformed = KeyStoreError::MalformedWrappedKey("passphrase header has the wrong length");
    let (t, rest) = rest.split_first_chunk::<4>().ok_or(malformed)?;
    let malformed = KeyStoreError::MalformedWrappedKey("passphrase header has the wrong length");
    let (p, salt) = rest.split_first_chunk::<4>().ok_or(malformed)?;
    let cost = Argon2Cost::new(
        u32::from_be_bytes(*m),
        u32::from_be_bytes(*t),
        u32::from_be_bytes(*p),
    )?;
    Ok((cost, salt))
}

impl KeyWrapper for PassphraseKeyStore {
    fn kind(&self) -> WrapperKind {
        WrapperKind::Passphrase
    }

    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt)?;
        let kek = self.derive(self.cost, &salt)?;
        let header = encode_header(self.cost, &salt);
        let body = kek::seal(&kek, WrapperKind::Passphrase, &header, data_key)?;
        Ok(WrappedKey::new(WrapperKind::Passphrase, body))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        let body = wrapped.expect_kind(WrapperKind::Passphrase)?;
        let (header, _) = kek::header(body)?;
        let (cost, salt) = decode_header(header)?;
        let kek = self.derive(cost, salt)?;
        kek::open(&kek, WrapperKind::Passphrase, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::Unavailable;

    fn passphrase(text: &str) -> Passphrase {
        Passphrase::new(Zeroizing::new(text.to_owned())).unwrap()
    }

    #[test]
    fn right_passphrase_unwraps_wrong_one_is_key_unavailable() {
        let key = DataKey::generate().unwrap();
        let wrapper = PassphraseKeyStore::new(passphrase("correct horse battery"));
        let wrapped = wrapper.wrap(&key).unwrap();
        let back = PassphraseKeyStore::new(passphrase("correct horse battery"))
            .unwrap(&wrapped)
            .unwrap();
        assert_eq!(back.expose_secret(), key.expose_secret());
        assert!(matches!(
            PassphraseKeyStore::new(passphrase("correct horse battery!")).unwrap(&wrapped),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong))
        ));
    }

    #[test]
    fn default_cost_meets_owasp_and_is_recorded() {
        let wrapper = PassphraseKeyStore::new(passphrase("correct horse battery"));
        let wrapped = wrapper.wrap(&DataKey::generate().unwrap()).unwrap();
        let (header, _) = kek::header(wrapped.body()).unwrap();
        let (cost, salt) = decode_header(header).unwrap();
        assert_eq!(cost, Argon2Cost::DEFAULT);
        assert!(cost.memory_kib >= 19 * 1024 && cost.passes >= 2 && cost.lanes == 1);
        assert_eq!(salt.len(), SALT_LEN);
    }

    #[test]
    fn weakened_or_oversized_cost_in_the_file_is_refused() {
        let weak = encode_header(
            Argon2Cost {
                memory_kib: 8,
                passes: 1,
                lanes: 1,
            },
            &[0; SALT_LEN],
        );
        assert!(matches!(
            decode_header(&weak),
            Err(KeyStoreError::KeyDerivation(_))
        ));
        let huge = encode_header(
            Argon2Cost {
                memory_kib: u32::MAX,
                passes: 3,
                lanes: 1,
            },
            &[0; SALT_LEN],
        );
        assert!(decode_header(&huge).is_err());
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert!(matches!(
            Passphrase::new(Zeroizing::new("1234567".to_owned())),
            Err(KeyStoreError::WeakPassphrase(_))
        ));
    }
}
