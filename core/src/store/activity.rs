//! The activity log: an append-only, encrypted record of what happened in the wallet.
//!
//! Entries are listed newest first by a sequence number kept in the clear (it reveals only how
//! many entries exist); the same number is sealed inside each entry and checked on read, so
//! entries cannot be reordered. Entries are never edited; this module has no update path.

use super::StoreError;
use super::ids::{ActivityId, DocumentId};
use super::payload::{Decoder, Encoder};
use super::record::{RECORD_ID_LEN, RecordId, Table};
use super::time::Timestamp;

/// The longest detail text accepted, in characters.
pub const MAX_DETAIL_CHARS: usize = 500;

/// What kind of event an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActivityKind {
    /// A document was enrolled (issued and stored).
    Enrolment,
    /// A document was presented (a QR code was shown).
    Presentation,
    /// A document was deleted.
    Deletion,
    /// A user authentication failed (biometric or PIN).
    FailedAuthentication,
    /// The wallet locked itself after too many failures.
    Lockout,
    /// A document's details were shown.
    DetailsViewed,
    /// The activity log was exported.
    LogExported,
    /// One-time purpose credentials were added to a document's pool.
    Refill,
}

impl ActivityKind {
    fn code(self) -> u64 {
        match self {
            Self::Enrolment => 1,
            Self::Presentation => 2,
            Self::Deletion => 3,
            Self::FailedAuthentication => 4,
            Self::Lockout => 5,
            Self::DetailsViewed => 6,
            Self::LogExported => 7,
            Self::Refill => 8,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            1 => Self::Enrolment,
            2 => Self::Presentation,
            3 => Self::Deletion,
            4 => Self::FailedAuthentication,
            5 => Self::Lockout,
            6 => Self::DetailsViewed,
            7 => Self::LogExported,
            8 => Self::Refill,
            _ => return None,
        })
    }
}

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewActivity {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: ActivityKind,
    /// The document concerned, if any.
    pub document: Option<DocumentId>,
    /// Free text for the resident (e.g. which counter); at most 500 characters.
    pub detail: String,
}

/// A logged event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityEntry {
    /// Its id.
    pub id: ActivityId,
    /// Its position in the log, starting at 1.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: ActivityKind,
    /// The document concerned, if any.
    pub document: Option<DocumentId>,
    /// Free text.
    pub detail: String,
}

const SEQ: u8 = 0;
const AT: u8 = 1;
const KIND: u8 = 2;
const DOCUMENT: u8 = 3;
const DETAIL: u8 = 4;

impl NewActivity {
    pub(crate) fn encode(&self, seq: u64) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        if self.detail.chars().count() > MAX_DETAIL_CHARS {
            return Err(StoreError::InvalidInput {
                what: "activity detail",
                why: "use at most 500 characters",
            });
        }
        Encoder::new()
            .uint(SEQ, seq)
            .uint(AT, self.at.unix_seconds())
            .uint(KIND, self.kind.code())
            .optional_bytes(DOCUMENT, self.document.as_ref().map(|d| &d.as_bytes()[..]))
            .text(DETAIL, &self.detail)
            .finish()
    }
}

impl ActivityEntry {
    pub(crate) fn decode(id: ActivityId, row_seq: u64, payload: &[u8]) -> Result<Self, StoreError> {
        let table = Table::Activity.name();
        let mut d = Decoder::new(table, payload)?;
        if d.uint(SEQ)? != row_seq {
            return Err(StoreError::RecordTampered {
                table,
                detail: "an entry was moved to another position in the log",
            });
        }
        let at = Timestamp::from_unix_seconds(d.uint(AT)?);
        let kind =
            ActivityKind::from_code(d.uint(KIND)?).ok_or_else(|| StoreError::StoreCorrupted {
                detail: "an activity entry has an unknown kind".to_owned(),
            })?;
        let document = match d.optional_bytes(DOCUMENT)? {
            None => None,
            Some(bytes) if bytes.len() == RECORD_ID_LEN => {
                Some(DocumentId(RecordId::from_slice(&bytes, Table::Activity)?))
            }
            Some(_) => {
                return Err(StoreError::StoreCorrupted {
                    detail: "an activity entry has a malformed document id".to_owned(),
                });
            }
        };
        Ok(Self {
            id,
            seq: row_seq,
            at,
            kind,
            document,
            detail: d.text(DETAIL)?,
        })
    }
}
