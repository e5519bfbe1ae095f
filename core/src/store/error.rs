//! The store's error type: one variant per thing a caller can act on differently.
//!
//! Messages name the problem and what to do; they never contain decrypted content, key bytes or
//! record payloads (SQLite messages are included only as text about the database itself).

use std::path::PathBuf;

use crate::keystore::{KeyStoreError, Unavailable};

/// Errors from the encrypted store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data key could not be recovered, or it does not open this store. Nothing was written.
    #[error("the wallet's key is unavailable: {0}")]
    KeyUnavailable(Unavailable),
    /// The key store failed for another reason (not running, locked, malformed wrapped key).
    #[error("the key store failed: {0}")]
    KeyStore(KeyStoreError),
    /// The database file is damaged (not SQLite, truncated, broken pages). Nothing was written.
    #[error("the wallet store file is damaged ({detail}); restore it from a backup or re-enrol")]
    StoreCorrupted {
        /// What was found wrong, without any content.
        detail: String,
    },
    /// A record failed authentication: moved to another row, rolled back, altered or removed.
    #[error(
        "a record in the {table} table failed its integrity check ({detail}); the store was changed outside netid"
    )]
    RecordTampered {
        /// The table holding the record.
        table: &'static str,
        /// What did not match.
        detail: &'static str,
    },
    /// No record with that id.
    #[error("no {what} with that id in this wallet")]
    NotFound {
        /// The kind of record asked for.
        what: &'static str,
    },
    /// `Store::open` found no store at the path.
    #[error("no wallet store at {path}; create one first")]
    Missing {
        /// The database path looked for.
        path: PathBuf,
    },
    /// `Store::create` found a store already there.
    #[error("a wallet store already exists at {path}; open it instead of creating one")]
    AlreadyExists {
        /// The database path.
        path: PathBuf,
    },
    /// The store was written by a newer netid; it was not touched.
    #[error(
        "the wallet store has schema version {found} but this netid understands up to {supported}; update the app"
    )]
    SchemaTooNew {
        /// The schema version in the file.
        found: u32,
        /// The newest version this code knows.
        supported: u32,
    },
    /// A counter or setting holds the other kind of value.
    #[error("setting {name} holds {found}, not {expected}")]
    SettingKind {
        /// The setting's name.
        name: String,
        /// What the caller asked for.
        expected: &'static str,
        /// What is stored.
        found: &'static str,
    },
    /// A counter reached its maximum.
    #[error("counter {name} cannot go higher; reset it")]
    CounterOverflow {
        /// The counter's name.
        name: String,
    },
    /// Caller input is not acceptable.
    #[error("invalid {what}: {why}")]
    InvalidInput {
        /// The argument.
        what: &'static str,
        /// Why it was refused.
        why: &'static str,
    },
    /// The store is older than this device last saw it: the wallet directory was restored from an
    /// earlier copy. Nothing was written.
    #[error(
        "the wallet store was restored from an older copy (generation {found}, this device last saw {expected}); restore the newest copy, or reset the wallet and enrol your documents again"
    )]
    StoreRolledBack {
        /// The generation found in the directory.
        found: u64,
        /// The generation the anchor outside the directory holds.
        expected: u64,
    },
    /// The wallet has a PIN: its data key opens only through the PIN layer.
    #[error("this wallet is protected by a PIN; unlock it with the PIN")]
    PinRequired,
    /// Another connection holds the database lock longer than the busy timeout.
    #[error("the wallet store is busy (another process is writing); retry")]
    Busy,
    /// The disk is full or the file could not be read or written.
    #[error(
        "the wallet store could not be read or written ({0}); check free space and permissions"
    )]
    Io(String),
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Database(String),
}

impl From<KeyStoreError> for StoreError {
    fn from(error: KeyStoreError) -> Self {
        match error {
            KeyStoreError::KeyUnavailable(why) => Self::KeyUnavailable(why),
            other => Self::KeyStore(other),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match &error {
            rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
                C::DatabaseCorrupt | C::NotADatabase => Self::StoreCorrupted {
                    detail: error.to_string(),
                },
                C::DatabaseBusy | C::DatabaseLocked => Self::Busy,
                C::DiskFull
                | C::SystemIoFailure
                | C::CannotOpen
                | C::PermissionDenied
                | C::ReadOnly => Self::Io(error.to_string()),
                _ => Self::Database(error.to_string()),
            },
            // Our tables are STRICT: a value of the wrong type or range means a damaged file.
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..) => Self::StoreCorrupted {
                detail: format!("a stored value has the wrong type ({error})"),
            },
            // Values are only ever ids, versions and ciphertext, so the message carries no content.
            _ => Self::Database(error.to_string()),
        }
    }
}
