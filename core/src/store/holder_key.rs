//! Holder-key records: which public key a credential is bound to and where its private key lives.
//!
//! The store keeps the public key (SEC1), the algorithm, the kind of secure area, and, for the
//! software secure area only, the private key already wrapped by that secure area. It never sees
//! an unwrapped private key and never prints the wrapped one.

use zeroize::Zeroizing;

use super::StoreError;
use super::ids::HolderKeyId;
use super::payload::{Decoder, Encoder};
use super::record::Table;
use super::time::Timestamp;

/// A holder key's signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 with SHA-256 (COSE ES256).
    Es256,
}

/// Where a holder key's private half lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecureAreaKind {
    /// In this store, wrapped by the software secure area.
    Software,
    /// In the host platform's hardware (Android Keystore, iOS Secure Enclave).
    Host,
}

/// A holder key to record.
pub struct NewHolderKey {
    /// The signature algorithm.
    pub algorithm: KeyAlgorithm,
    /// The public key, SEC1-encoded (compressed or uncompressed).
    pub public_key: Vec<u8>,
    /// Where the private key lives.
    pub secure_area: SecureAreaKind,
    /// The private key wrapped by the software secure area; `None` for host keys.
    pub wrapped_private_key: Option<Zeroizing<Vec<u8>>>,
    /// When the key was created.
    pub created_at: Timestamp,
}

/// A recorded holder key.
pub struct HolderKey {
    /// Its id in this wallet.
    pub id: HolderKeyId,
    /// The signature algorithm.
    pub algorithm: KeyAlgorithm,
    /// The public key, SEC1-encoded.
    pub public_key: Vec<u8>,
    /// Where the private key lives.
    pub secure_area: SecureAreaKind,
    /// The private key wrapped by the software secure area; `None` for host keys.
    pub wrapped_private_key: Option<Zeroizing<Vec<u8>>>,
    /// When the key was created.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for HolderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderKey")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("public_key", &hex::encode(&self.public_key))
            .field("secure_area", &self.secure_area)
            .field(
                "wrapped_private_key",
                &self.wrapped_private_key.as_ref().map(|_| "<secret>"),
            )
            .field("created_at", &self.created_at)
            .finish()
    }
}

const ALGORITHM: u8 = 1;
const PUBLIC_KEY: u8 = 2;
const SECURE_AREA: u8 = 3;
const WRAPPED_PRIVATE_KEY: u8 = 4;
const CREATED_AT: u8 = 5;

impl NewHolderKey {
    pub(crate) fn encode(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        match self.algorithm {
            KeyAlgorithm::Es256 => {
                p256::PublicKey::from_sec1_bytes(&self.public_key).map_err(|_| {
                    StoreError::InvalidInput {
                        what: "holder public key",
                        why: "not a SEC1-encoded P-256 point",
                    }
                })?;
            }
        }
        if self.secure_area == SecureAreaKind::Host && self.wrapped_private_key.is_some() {
            return Err(StoreError::InvalidInput {
                what: "holder key",
                why: "a host secure-area key has no private key in the store",
            });
        }
        Encoder::new()
            .uint(ALGORITHM, 1)
            .bytes(PUBLIC_KEY, &self.public_key)
            .uint(
                SECURE_AREA,
                match self.secure_area {
                    SecureAreaKind::Software => 1,
                    SecureAreaKind::Host => 2,
                },
            )
            .optional_bytes(
                WRAPPED_PRIVATE_KEY,
                self.wrapped_private_key.as_ref().map(|k| k.as_slice()),
            )
            .uint(CREATED_AT, self.created_at.unix_seconds())
            .finish()
    }
}

impl HolderKey {
    pub(crate) fn decode(id: HolderKeyId, payload: &[u8]) -> Result<Self, StoreError> {
        let table = Table::HolderKeys.name();
        let unknown = |what: &str| StoreError::StoreCorrupted {
            detail: format!("a holder key record has an unknown {what}"),
        };
        let mut d = Decoder::new(table, payload)?;
        let algorithm = match d.uint(ALGORITHM)? {
            1 => KeyAlgorithm::Es256,
            _ => return Err(unknown("algorithm")),
        };
        let public_key = d.bytes(PUBLIC_KEY)?.to_vec();
        let secure_area = match d.uint(SECURE_AREA)? {
            1 => SecureAreaKind::Software,
            2 => SecureAreaKind::Host,
            _ => return Err(unknown("secure area")),
        };
        Ok(Self {
            id,
            algorithm,
            public_key,
            secure_area,
            wrapped_private_key: d.optional_bytes(WRAPPED_PRIVATE_KEY)?,
            created_at: Timestamp::from_unix_seconds(d.uint(CREATED_AT)?),
        })
    }
}
