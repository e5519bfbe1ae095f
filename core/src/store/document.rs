//! Documents: the credentials a resident keeps (ID card, driving licence, ...), as the store sees
//! them.
//!
//! The credential itself is opaque bytes (SD-CWT, decoded elsewhere). Everything about a document,
//! including its type, assurance level and label, is inside the sealed payload; type and level are
//! kept beside the credential so the document list never has to parse a credential (which would
//! decode every claim). This module never lets a document's content reach `Debug` output or an
//! error.

use zeroize::Zeroizing;

use super::StoreError;
use super::ids::{DocumentId, HolderKeyId};
use super::payload::{Decoder, Encoder};
use super::record::{RECORD_ID_LEN, RecordId, Table};
use super::time::Timestamp;
use crate::credential::AssuranceLevel;

/// The largest credential accepted, in bytes.
pub const MAX_CREDENTIAL_LEN: usize = 1024 * 1024;
/// The longest label accepted, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// A document type such as `resident-id`: 1 to 64 of `a-z`, `0-9` and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DocType(String);

impl DocType {
    /// The resident identity card.
    pub const RESIDENT_ID: &str = "resident-id";
    /// A driving licence.
    pub const DRIVING_LICENCE: &str = "driving-licence";
    /// A social-security card.
    pub const SOCIAL_SECURITY: &str = "social-security";
    /// A residence permit.
    pub const RESIDENCE_PERMIT: &str = "residence-permit";

    /// Validates a document type name.
    pub fn new(name: &str) -> Result<Self, StoreError> {
        let valid = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(StoreError::InvalidInput {
                what: "document type",
                why: "use 1 to 64 characters from a-z, 0-9 and '-'",
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A document to add to the store, or the new content of an existing one.
pub struct NewDocument {
    /// What kind of document it is.
    pub doc_type: DocType,
    /// The issued credential, opaque to the store.
    pub credential: Zeroizing<Vec<u8>>,
    /// The credential's assurance level; `None` only in records written before it was kept here.
    pub assurance_level: Option<AssuranceLevel>,
    /// A name the resident chose, if any.
    pub label: Option<String>,
    /// When it was added to the wallet.
    pub added_at: Timestamp,
    /// The holder key the credential is bound to, if recorded.
    pub holder_key: Option<HolderKeyId>,
}

/// A stored document.
pub struct Document {
    /// Its id in this wallet.
    pub id: DocumentId,
    /// What kind of document it is.
    pub doc_type: DocType,
    /// The issued credential, opaque to the store.
    pub credential: Zeroizing<Vec<u8>>,
    /// The credential's assurance level; `None` only in records written before it was kept here.
    pub assurance_level: Option<AssuranceLevel>,
    /// A name the resident chose, if any.
    pub label: Option<String>,
    /// When it was added to the wallet.
    pub added_at: Timestamp,
    /// The holder key the credential is bound to, if recorded.
    pub holder_key: Option<HolderKeyId>,
}

fn redacted_debug(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    id: Option<&DocumentId>,
    doc_type: &DocType,
    credential_len: usize,
    added_at: Timestamp,
) -> std::fmt::Result {
    let mut s = f.debug_struct(name);
    if let Some(id) = id {
        s.field("id", id);
    }
    s.field("doc_type", doc_type)
        .field("credential_len", &credential_len)
        .field("label", &"<redacted>")
        .field("added_at", &added_at)
        .finish()
}

impl std::fmt::Debug for NewDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        redacted_debug(
            f,
            "NewDocument",
            None,
            &self.doc_type,
            self.credential.len(),
            self.added_at,
        )
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        redacted_debug(
            f,
            "Document",
            Some(&self.id),
            &self.doc_type,
            self.credential.len(),
            self.added_at,
        )
    }
}

const DOC_TYPE: u8 = 1;
const CREDENTIAL: u8 = 2;
const LABEL: u8 = 3;
const ADDED_AT: u8 = 4;
const HOLDER_KEY: u8 = 5;
/// Added after the first release: records without it still read, with `assurance_level: None`.
const ASSURANCE_LEVEL: u8 = 6;

impl NewDocument {
    pub(crate) fn encode(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if self.credential.is_empty() || self.credential.len() > MAX_CREDENTIAL_LEN {
            return Err(StoreError::InvalidInput {
                what: "credential",
                why: "must be between 1 byte and 1 MiB",
            });
        }
        if self
            .label
            .as_ref()
            .is_some_and(|l| l.chars().count() > MAX_LABEL_CHARS)
        {
            return Err(StoreError::InvalidInput {
                what: "label",
                why: "use at most 200 characters",
            });
        }
        Encoder::new()
            .text(DOC_TYPE, self.doc_type.as_str())
            .bytes(CREDENTIAL, &self.credential)
            .optional_text(LABEL, self.label.as_deref())
            .uint(ADDED_AT, self.added_at.unix_seconds())
            .optional_bytes(
                HOLDER_KEY,
                self.holder_key.as_ref().map(|k| &k.as_bytes()[..]),
            )
            .optional_uint(
                ASSURANCE_LEVEL,
                self.assurance_level.map(|l| l.code().unsigned_abs()),
            )
            .finish()
    }
}

impl Document {
    pub(crate) fn decode(id: DocumentId, payload: &[u8]) -> Result<Self, StoreError> {
        let table = Table::Documents.name();
        let mut d = Decoder::new(table, payload)?;
        let doc_type =
            DocType::new(&d.text(DOC_TYPE)?).map_err(|_| StoreError::StoreCorrupted {
                detail: "a stored document has an invalid type".to_owned(),
            })?;
        let credential = d.bytes(CREDENTIAL)?;
        let label = d.optional_text(LABEL)?;
        let added_at = Timestamp::from_unix_seconds(d.uint(ADDED_AT)?);
        let holder_key = match d.optional_bytes(HOLDER_KEY)? {
            None => None,
            Some(bytes) if bytes.len() == RECORD_ID_LEN => {
                Some(HolderKeyId(RecordId::from_slice(&bytes, Table::Documents)?))
            }
            Some(_) => {
                return Err(StoreError::StoreCorrupted {
                    detail: "a stored document has a malformed holder key id".to_owned(),
                });
            }
        };
        let assurance_level = match d.optional_uint(ASSURANCE_LEVEL)? {
            None => None,
            Some(code) => Some(
                i64::try_from(code)
                    .ok()
                    .and_then(AssuranceLevel::from_code)
                    .ok_or(StoreError::StoreCorrupted {
                        detail: "a stored document has an unknown assurance level".to_owned(),
                    })?,
            ),
        };
        Ok(Self {
            id,
            doc_type,
            credential,
            assurance_level,
            label,
            added_at,
            holder_key,
        })
    }
}
