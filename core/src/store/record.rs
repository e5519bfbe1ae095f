//! Record encryption: the keys derived from the data key, random record ids, and sealing one
//! record's payload so that it opens only in its own table, row and version.
//!
//! A sealed record is `nonce (24) | XChaCha20-Poly1305(payload)` with associated data
//! `label | table | id | version`. Moving a sealed payload to another row, another table or
//! another version makes it fail to open. This module never writes anything and never returns a
//! plaintext payload outside a wiped buffer.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::StoreError;
use crate::keystore::{DataKey, fill_random};

const NONCE_LEN: usize = 24;
const AD_LABEL: &[u8] = b"netid store record v1";

/// Length of a record id in bytes.
pub const RECORD_ID_LEN: usize = 16;

/// A record's id: random, so it says nothing about the record's content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId([u8; RECORD_ID_LEN]);

impl RecordId {
    pub(crate) fn random() -> Result<Self, StoreError> {
        let mut id = [0u8; RECORD_ID_LEN];
        fill_random(&mut id)?;
        Ok(Self(id))
    }

    pub(crate) fn from_slice(bytes: &[u8], table: Table) -> Result<Self, StoreError> {
        <[u8; RECORD_ID_LEN]>::try_from(bytes)
            .map(Self)
            .map_err(|_| StoreError::RecordTampered {
                table: table.name(),
                detail: "record id has the wrong length",
            })
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; RECORD_ID_LEN] {
        &self.0
    }

    /// The id as lowercase hex, e.g. for a secure-area key alias.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// Parses the hex form written by [`RecordId::to_hex`].
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        let mut id = [0u8; RECORD_ID_LEN];
        hex::decode_to_slice(text, &mut id).map_err(|_| StoreError::InvalidInput {
            what: "record id",
            why: "expected 32 hexadecimal digits",
        })?;
        Ok(Self(id))
    }
}

impl std::fmt::Debug for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordId({})", self.to_hex())
    }
}

/// The tables that hold sealed records. Their names are the only table names ever put in SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Table {
    Documents,
    HolderKeys,
    Settings,
    Activity,
}

impl Table {
    pub(crate) const ALL: [Table; 4] = [
        Table::Documents,
        Table::HolderKeys,
        Table::Settings,
        Table::Activity,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Documents => "documents",
            Table::HolderKeys => "holder_keys",
            Table::Settings => "settings",
            Table::Activity => "activity_log",
        }
    }

    /// Whether the table exists in a database of schema `version`.
    pub(crate) fn exists_in(self, version: u32) -> bool {
        match self {
            Table::Activity => version >= 2,
            _ => version >= 1,
        }
    }
}

/// Keys derived from the data key, one per purpose, all wiped on drop.
pub(crate) struct RecordKeys {
    seal: Zeroizing<[u8; 32]>,
    index: Zeroizing<[u8; 32]>,
    setting_id: Zeroizing<[u8; 32]>,
}

/// HKDF-Expand (RFC 5869) for one 32-byte block; the data key is uniformly random, so it serves
/// as the pseudorandom key without an extract step.
fn expand(data_key: &DataKey, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = keyed(data_key.expose_secret());
    mac.update(info);
    mac.update(&[1]);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn keyed(key: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

impl RecordKeys {
    pub(crate) fn derive(data_key: &DataKey) -> Self {
        Self {
            seal: expand(data_key, b"netid store: record sealing key"),
            index: expand(data_key, b"netid store: version index key"),
            setting_id: expand(data_key, b"netid store: setting id key"),
        }
    }

    /// Seals `payload` for row `id`, version `version` of `table`.
    pub(crate) fn seal(
        &self,
        table: &str,
        id: &[u8],
        version: u64,
        payload: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let ad = associated_data(table, id, version);
        let ciphertext = XChaCha20Poly1305::new(self.seal.as_ref().into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: payload,
                    aad: &ad,
                },
            )
            .map_err(|_| StoreError::InvalidInput {
                what: "record",
                why: "too large to encrypt",
            })?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens a sealed record; `None` if it was not sealed for exactly this place and version.
    pub(crate) fn open(
        &self,
        table: &str,
        id: &[u8],
        version: u64,
        sealed: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
        let ad = associated_data(table, id, version);
        XChaCha20Poly1305::new(self.seal.as_ref().into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &ad,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }

    /// The MAC key for the version index.
    pub(crate) fn index_mac(&self) -> Hmac<Sha256> {
        keyed(&self.index)
    }

    /// The id of a named setting: a keyed hash, so the name is not visible on disk.
    pub(crate) fn setting_id(&self, name: &str) -> RecordId {
        let mut mac = keyed(&self.setting_id);
        mac.update(name.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut id = [0u8; RECORD_ID_LEN];
        id.copy_from_slice(&digest[..RECORD_ID_LEN]);
        RecordId(id)
    }
}

fn associated_data(table: &str, id: &[u8], version: u64) -> Vec<u8> {
    let mut ad = Vec::with_capacity(AD_LABEL.len() + table.len() + id.len() + 10);
    ad.extend_from_slice(AD_LABEL);
    ad.push(0);
    ad.extend_from_slice(table.as_bytes());
    ad.push(0);
    ad.extend_from_slice(id);
    ad.extend_from_slice(&version.to_be_bytes());
    ad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_record_opens_only_in_its_own_place() {
        let keys = RecordKeys::derive(&DataKey::generate().unwrap());
        let id = RecordId::random().unwrap();
        let other = RecordId::random().unwrap();
        let sealed = keys
            .seal("documents", id.as_bytes(), 2, b"payload")
            .unwrap();
        assert_eq!(
            keys.open("documents", id.as_bytes(), 2, &sealed)
                .unwrap()
                .as_slice(),
            b"payload"
        );
        assert!(
            keys.open("documents", other.as_bytes(), 2, &sealed)
                .is_none()
        );
        assert!(keys.open("documents", id.as_bytes(), 1, &sealed).is_none());
        assert!(keys.open("settings", id.as_bytes(), 2, &sealed).is_none());
        let other_keys = RecordKeys::derive(&DataKey::generate().unwrap());
        assert!(
            other_keys
                .open("documents", id.as_bytes(), 2, &sealed)
                .is_none()
        );
        assert!(
            keys.open("documents", id.as_bytes(), 2, &sealed[..10])
                .is_none()
        );
    }

    #[test]
    fn setting_ids_are_stable_per_key_and_hide_the_name() {
        let key = DataKey::generate().unwrap();
        let a = RecordKeys::derive(&key);
        let b = RecordKeys::derive(&key);
        assert_eq!(a.setting_id("auth.failures"), b.setting_id("auth.failures"));
        assert_ne!(a.setting_id("auth.failures"), a.setting_id("auth.lockout"));
        let other = RecordKeys::derive(&DataKey::generate().unwrap());
        assert_ne!(
            a.setting_id("auth.failures"),
            other.setting_id("auth.failures")
        );
    }
}
